"""GRU encoder-decoder with Bahdanau attention: translation on Multi30k (de -> en, or any direction)."""
from pathlib import Path

import numpy as np

from ..core import beam, translation
from ..core.atomic import write_json
from ..core.vocab import Vocab
from ..data import mindrecord, multi30k
from . import register
from .base import PreparedTask

FORMAT_VERSION = 1
PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS = (PAD, UNK, SOS, EOS)
PAD_ID, UNK_ID, SOS_ID, EOS_ID = range(4)
_INT_ARRAY = {"type": "int32", "shape": [-1]}
SCHEMA = {"src": _INT_ARRAY, "src_len": {"type": "int32"}, "tgt_in": _INT_ARRAY, "tgt": _INT_ARRAY,
          "index": {"type": "int32"}, "ref": _INT_ARRAY}
COLUMNS = ("src", "src_len", "tgt_in", "tgt")  # the network's inputs in order, then the label
EVAL_COLUMNS = COLUMNS + ("index", "ref")       # + the row's place in its file and its raw reference (UTF-8)
SHAPING_KEYS = ("src_lang", "tgt_lang", "lowercase", "min_freq", "max_len", "max_decode_len")
NETWORK_KEYS = ("embed_size", "num_hiddens", "num_layers", "attn_size", "dropout", "teacher_forcing")


def encode_sentence(tokens, vocab, limit=None):
    """Token ids + <eos>; with ``limit`` at most ``limit`` ids in all (the <eos> kept)."""
    ids = vocab.encode(tokens if limit is None else tokens[: limit - 1])
    return np.append(ids, np.int32(EOS_ID)).astype(np.int32)


def text_bytes(text):
    return np.frombuffer(text.encode("utf-8"), np.uint8).astype(np.int32)


def bytes_text(row):
    row = np.asarray(row)
    return bytes(row[row > 0].astype(np.uint8).tolist()).decode("utf-8")


def strip_ids(row):
    """Token ids of one output row up to (not including) the first <eos> or <pad>."""
    out = []
    for i in np.asarray(row).tolist():
        if i in (EOS_ID, PAD_ID):
            break
        out.append(int(i))
    return out


@register
class Seq2SeqTask(PreparedTask):
    name = "seq2seq"
    network_keys = NETWORK_KEYS
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    columns = COLUMNS
    ckpt_prefix = "seq2seq"
    metric_name = "bleu"
    path_keys = ("data_path", "preprocess_path", "ckpt_path", "pre_trained")
    raw_keys = ("data_path",)
    assets = ("src_vocab.txt", "tgt_vocab.txt")
    input_names = ("src", "lengths")

    def __init__(self):
        self._cells_for, self._cells = None, None
        self._texts = {}

    def _text(self, lang, lowercase=True):
        key = (lang, lowercase)
        if key not in self._texts:
            self._texts[key] = translation.MosesText(lang, lowercase=lowercase)
        return self._texts[key]

    # ---------------------------------------------------------------- data
    def _files(self, cfg):
        return multi30k.split_files(cfg["data_path"], cfg["src_lang"], cfg["tgt_lang"])

    def raw_files(self, cfg):
        return [p for pair in self._files(cfg).values() for p in pair]

    def prepare(self, cfg, fingerprint, log=print):
        from tqdm import tqdm

        out = Path(cfg["preprocess_path"])
        out.mkdir(parents=True, exist_ok=True)
        src_text, tgt_text = self._text(cfg["src_lang"], cfg["lowercase"]), self._text(cfg["tgt_lang"], cfg["lowercase"])
        data = {}
        for split, (src_path, tgt_path) in self._files(cfg).items():
            pairs = multi30k.read_pairs(src_path, tgt_path)
            rows = [(src_text.tokenize(s), tgt_text.tokenize(t), t)
                    for s, t in tqdm(pairs, desc=f"tokenising {split}", unit="pair", mininterval=2.0, disable=None)]
            data[split] = rows
            log(f"{src_path} + {tgt_path.name}: {len(rows)} pairs")
        src_vocab = Vocab.build((s for s, _, _ in data["train"]), min_freq=cfg["min_freq"], specials=SPECIALS)
        tgt_vocab = Vocab.build((t for _, t, _ in data["train"]), min_freq=cfg["min_freq"], specials=SPECIALS)
        log(f"vocabularies from train only (min frequency {cfg['min_freq']}): {cfg['src_lang']} {len(src_vocab)}, "
            f"{cfg['tgt_lang']} {len(tgt_vocab)} entries")
        max_len = cfg["max_len"]
        splits = {}
        for split, rows in data.items():
            name = f"seq2seq_{split}.mindrecord"
            limit = max_len if split == "train" else None  # dev and test keep every token

            def encoded(rows=rows, limit=limit):
                for i, (s, t, ref) in enumerate(rows):
                    src, tgt = encode_sentence(s, src_vocab, limit), encode_sentence(t, tgt_vocab, limit)
                    yield {"src": src, "src_len": np.int32(len(src)), "tgt": tgt,
                           "tgt_in": np.concatenate(([SOS_ID], tgt[:-1])).astype(np.int32),
                           "index": np.int32(i), "ref": text_bytes(ref)}

            mindrecord.write(out / name, SCHEMA, encoded(), description=f"seq2seq {split}")
            src_lens = np.array([len(s) + 1 for s, _, _ in rows])
            tgt_lens = np.array([len(t) + 1 for _, t, _ in rows])
            truncated = int(((src_lens > max_len) | (tgt_lens > max_len)).sum())
            splits[split] = {"file": name, "n": len(rows), "src_length_mean": float(src_lens.mean()),
                             "src_length_max": int(src_lens.max()), "tgt_length_mean": float(tgt_lens.mean()),
                             "tgt_length_max": int(tgt_lens.max()),
                             "longer_than_max_len": truncated, "truncated": truncated if limit else 0}
            if limit and truncated:
                log(f"train: {truncated} pairs longer than max_len {max_len} (with <eos>) truncated for training")
            elif truncated:
                log(f"{split}: {truncated} pairs longer than max_len {max_len} kept whole (never cut in dev/test)")
        src_vocab.save(out / "src_vocab.txt")
        tgt_vocab.save(out / "tgt_vocab.txt")
        longest_src = max(s["src_length_max"] for s in splits.values())
        longest = max(max(s["src_length_max"], s["tgt_length_max"]) for s in splits.values())
        ref_bytes = max(len(text_bytes(t)) for rows in data.values() for _, _, t in rows)
        meta = {"format_version": FORMAT_VERSION, "task": self.name, "src_lang": cfg["src_lang"],
                "tgt_lang": cfg["tgt_lang"], "lowercase": cfg["lowercase"],
                "vocab_size": [len(src_vocab), len(tgt_vocab)], "src_vocab_size": len(src_vocab),
                "tgt_vocab_size": len(tgt_vocab), "max_len": max_len,
                "export_src_len": max(max_len, longest_src), "longest": longest, "ref_bytes": ref_bytes,
                "max_decode_len": cfg["max_decode_len"],
                "pad_id": PAD_ID, "unk_id": UNK_ID, "sos_id": SOS_ID, "eos_id": EOS_ID, "splits": splits,
                "tgt_itos": tgt_vocab.itos,  # detokenising needs no file: eval, postprocess and predict read it here
                "fingerprint": fingerprint}
        write_json(out / "meta.json", meta)
        return meta

    def dataset(self, split, cfg, meta, training, shard=None, epoch=1):
        """Batches of (src, src_len, tgt_in, tgt) (+ index, ref when evaluating), pairs bucketed by the
        longer side and padded to their bucket's length on both sides: the training graph unrolls the
        decoder over it, and the GRU encoder unrolls over the source on CPU (MindSpore's nn.GRU has no
        fused CPU kernel), so every bucket is one compiled graph, compiled once per run."""
        if training:
            columns, pads = COLUMNS, ("src", "tgt_in", "tgt")
        else:  # dev/test are never cut: their last bucket reaches the longest pair
            columns, pads = EVAL_COLUMNS, ("src", "tgt_in", "tgt")
            meta = {**meta, "max_len": max(meta["max_len"], meta["longest"])}
        return self.bucketed(split, cfg, meta, columns, pads, training, shard, to_boundary=True, epoch=epoch,
                             length_columns=("src", "tgt"),
                             pad_shapes=None if training else {"ref": ([meta["ref_bytes"]], 0)})

    # ---------------------------------------------------------------- model
    def network(self, cfg, meta, pretrained=True):
        from ..nn.seq2seq import Seq2SeqNet

        return Seq2SeqNet(meta["src_vocab_size"], meta["tgt_vocab_size"], cfg["embed_size"], cfg["num_hiddens"],
                          cfg["num_layers"], cfg["attn_size"] or None, cfg["dropout"], cfg["teacher_forcing"],
                          sos_id=SOS_ID, pad_id=PAD_ID)

    def input_specs(self):
        import mindspore as ms

        ids = ms.Tensor(shape=[None, None], dtype=ms.int32)
        return [ids, ms.Tensor(shape=[None], dtype=ms.int32), ids, ids]

    def loss(self, cfg, net):
        from ..nn.seq2seq import Seq2SeqLoss

        return Seq2SeqLoss(PAD_ID)

    def inference_network(self, net, meta):
        """The export graph: (source ids, source lengths) -> greedy target ids [B, max_decode_len]."""
        from ..nn.seq2seq import GreedyDecoder

        return GreedyDecoder(net, meta["max_decode_len"], EOS_ID), {**meta, "decoder": "greedy"}

    # ---------------------------------------------------------------- decoding
    def decoding_cells(self, net):
        """(encoder, decoder step) over ``net``'s parameters, built once per network: the step has dynamic
        input shapes (one graph for every batch); the encoder compiles once per batch shape (the
        buckets), and MindSpore keeps each shape's graph for the next epoch."""
        if self._cells_for is not net:
            import mindspore as ms

            from ..nn.seq2seq import Seq2SeqDecoderStep, Seq2SeqEncoder

            i32, f32 = ms.int32, ms.float32
            encoder, step = Seq2SeqEncoder(net), Seq2SeqDecoderStep(net)  # encoder: one graph per batch shape
            if ms.get_context("device_target") != "Ascend":  # Ascend: static shapes, one step graph per shape
                step.set_inputs(ms.Tensor(shape=[None], dtype=i32), ms.Tensor(shape=[None, None], dtype=f32),
                                ms.Tensor(shape=[None, None, None], dtype=f32),
                                ms.Tensor(shape=[None, None, None], dtype=f32), ms.Tensor(shape=[None, None], dtype=f32))
            self._cells_for, self._cells = net, (encoder, step)
        return self._cells

    def encode(self, net, src, src_len):
        """(enc_out, keys, mask, s0) of a batch of sources, from the compiled encoder graph."""
        import mindspore as ms

        net.set_train(False)
        encoder, _ = self.decoding_cells(net)
        return encoder(ms.Tensor(np.asarray(src, np.int32)), ms.Tensor(np.asarray(src_len, np.int32)))

    def translate(self, net, src, src_len, max_len, beam_size=1, alpha=0.0, encoded=None):
        """Token-id hypotheses (no <sos>/<eos>) for a batch of sources: greedy (beam 1) or beam
        search in ``core.beam`` over the compiled decoder step. ``encoded``: ``encode``'s output for
        these sources, when the caller has it already."""
        import mindspore as ms

        _, step = self.decoding_cells(net)
        enc_out, keys, mask, s0 = encoded if encoded is not None else self.encode(net, src, src_len)
        batch = len(src_len)
        width = max(1, beam_size)
        if width > 1:
            enc_out, keys, mask = (ms.Tensor(np.repeat(t.asnumpy(), width, axis=0)) for t in (enc_out, keys, mask))
        context = (enc_out, keys, mask)

        def decode_step(tokens, state):  # rows keep their sentence (the searches reorder within it)
            log_probs, s, _ = step(ms.Tensor(tokens.astype(np.int32)), ms.Tensor(state[0]), *context)
            return log_probs.asnumpy(), (s.asnumpy(),)

        s0 = s0.asnumpy()
        if width == 1:
            hyps, _ = beam.greedy_search(decode_step, (s0,), batch, max_len, SOS_ID, EOS_ID)
        else:
            hyps, _ = beam.beam_search(decode_step, (np.repeat(s0, width, axis=0),), batch, width, max_len, SOS_ID,
                                       EOS_ID, alpha)
        return hyps

    def teacher_forced_nll(self, net, encoded, tgt_in, tgt):
        """(sum of -log p(reference token), number of reference tokens) with the reference fed back;
        ``encoded``: ``encode``'s output for the batch's sources."""
        import mindspore as ms

        _, step = self.decoding_cells(net)
        enc_out, keys, mask, s = encoded
        rows = np.arange(len(tgt))
        total = 0.0
        for t in range(tgt.shape[1]):
            log_probs, s, _ = step(ms.Tensor(tgt_in[:, t]), s, enc_out, keys, mask)
            real = tgt[:, t] != PAD_ID
            if real.any():
                total -= float(log_probs.asnumpy()[rows[real], tgt[real, t]].sum())
        return total, int((tgt != PAD_ID).sum())

    def evaluate(self, net, ds, cfg, meta):
        """BLEU (sacrebleu, detokenised hypotheses against the raw references) and perplexity."""
        from tqdm import tqdm

        net.set_train(False)
        tgt_text = self._text(meta["tgt_lang"], meta["lowercase"])
        found, nll, tokens = {}, 0.0, 0
        for src, src_len, tgt_in, tgt, index, ref in tqdm(ds.create_tuple_iterator(num_epochs=1, output_numpy=True),
                                                          desc="translating", unit="batch", leave=False,
                                                          mininterval=5.0, disable=None):
            encoded = self.encode(net, src, src_len)  # once for both: decoding and the perplexity
            hyps = self.translate(net, src, src_len, meta["max_decode_len"], cfg["beam_size"], cfg["length_penalty"],
                                  encoded)
            batch_nll, batch_tokens = self.teacher_forced_nll(net, encoded, tgt_in, tgt)
            nll, tokens = nll + batch_nll, tokens + batch_tokens
            for i, h, r in zip(index.tolist(), hyps, ref):
                found[i] = (h, bytes_text(r))
        order = sorted(found)
        return self.scores([found[i][0] for i in order], [found[i][1] for i in order], meta, tgt_text,
                           nll, tokens, cfg["beam_size"])

    def scores(self, hyp_ids, references, meta, tgt_text, nll=None, tokens=None, beam_size=1):
        itos = meta["tgt_itos"]
        hypotheses = [tgt_text.detokenize([itos[i] for i in h]) for h in hyp_ids]
        result = translation.bleu(hypotheses, references)
        result.update({"n": len(references), "beam_size": beam_size, "hypotheses": hypotheses})
        if tokens:
            result.update({"perplexity": translation.perplexity(nll, tokens), "reference_tokens": tokens})
        return result

    def report(self, result):
        lines = [f"BLEU {result['bleu']:.2f}",
                 f"lower-cased BLEU {result['bleu']:.2f} on {result['n']} sentences ({result['bleu_signature']})",
                 f"cased BLEU {result['bleu_cased']:.2f} ({result['bleu_cased_signature']})"]
        if "perplexity" in result:
            lines.append(f"perplexity {result['perplexity']:.2f} (teacher forced, {result['reference_tokens']} "
                         "reference tokens incl. <eos>)")
        lines.append(f"decoding: {'greedy' if result.get('beam_size', 1) <= 1 else 'beam ' + str(result['beam_size'])}")
        return "\n".join(lines)

    def make_sample(self, out_dir, seed=0, size=1.0):
        """Generated Multi30k-format files (train/val/test_2016_flickr .de/.en) of a small German-English
        language with a learnable mapping."""
        from ..data import synthetic

        root = synthetic.write_multi30k(Path(out_dir) / "multi30k", n_train=int(2000 * size), n_val=int(200 * size),
                                        n_test=int(200 * size), seed=seed)
        return {"data_path": str(root)}

    # ---------------------------------------------------------------- export and deployment
    def export_inputs(self, cfg, meta, batch_size):
        import mindspore as ms

        length = meta["export_src_len"]
        return [ms.Tensor(np.zeros((batch_size, length), np.int32)),
                ms.Tensor(np.full((batch_size,), length, np.int32))]

    def pad_example(self, meta):
        return np.zeros(meta["export_src_len"], np.int32), np.int32(1)

    def _example(self, text, vocab, meta):
        ids = encode_sentence(self._text(meta["src_lang"], meta["lowercase"]).tokenize(text), vocab,
                              meta["export_src_len"])
        padded = np.zeros(meta["export_src_len"], np.int32)
        padded[: len(ids)] = ids
        return padded, np.int32(len(ids))

    def encode_texts(self, texts, meta, asset_paths):
        vocab = Vocab.load(asset_paths["src_vocab.txt"], specials=SPECIALS)
        return [self._example(t, vocab, meta) for t in texts]

    def raw_examples(self, dataset_path, meta, asset_paths, split="test"):
        """(source inputs, raw reference as UTF-8 bytes padded with -1) per pair of a raw split."""
        src_path, tgt_path = multi30k.split_files(dataset_path, meta["src_lang"], meta["tgt_lang"])[split]
        pairs = multi30k.read_pairs(src_path, tgt_path)
        inputs = self.encode_texts([s for s, _ in pairs], meta, asset_paths)
        refs = [text_bytes(t) for _, t in pairs]
        width = max(len(r) for r in refs)
        labels = [np.concatenate((r, np.full(width - len(r), -1, np.int32))) for r in refs]
        return list(zip(inputs, labels))

    def metrics_from_outputs(self, outputs, labels, meta):
        """``outputs``: target-id rows of the exported greedy graph; ``labels``: raw references as
        UTF-8 byte rows (-1 padded)."""
        refs = [bytes_text(np.where(np.asarray(r) < 0, 0, r)) for r in labels]
        hyps = [strip_ids(row) for row in np.asarray(outputs)]
        return self.scores(hyps, refs, meta, self._text(meta["tgt_lang"], meta["lowercase"]))

    def describe(self, output_row, text, meta):
        tokens = [meta["tgt_itos"][i] for i in strip_ids(output_row)]
        translated = self._text(meta["tgt_lang"], meta["lowercase"]).detokenize(tokens)
        return {"translation": translated, "tokens": tokens, "summary": translated}

    def predictor(self, net, cfg, meta):
        """Checkpoint inference for predict.py: beam search (``beam_size``, ``length_penalty``) over the
        compiled decoder step; rows of target ids, <eos>-terminated, like the exported graph's."""
        width = meta["max_decode_len"] + 1

        def predict(arrays):
            src, lengths = arrays
            hyps = self.translate(net, src[:, : int(lengths.max())], lengths, meta["max_decode_len"],
                                  cfg["beam_size"], cfg["length_penalty"])
            rows = np.zeros((len(hyps), width), np.int32)
            for row, h in zip(rows, hyps):
                row[: len(h) + 1] = h + [EOS_ID]
            return rows

        return predict, meta
