"""NIST SPHERE files built byte by byte from the format as LDC ships it, without ``synthetic.write_sphere``,
read by ``lstm_ms.data.audio.read_audio`` (what the TIMIT and AN4 readers use).

The format, from public descriptions of it:
- a SPHERE file is one fixed-size ASCII header, "name value pairs in a 1024-byte blocked, ASCII structure
  placed at the beginning of the file", then the binary samples, "in either big-endian or little-endian
  byte order"; the header's first line is the type (``NIST_1A``), the second its size (``   1024``), the
  last ``end_head`` (ISIP, "Speech Files: NIST's SPHERE Format",
  https://isip.piconepress.com/projects/speech/software/tutorials/production/fundamentals/v1.0/section_02/s02_01_p04.html);
- fields are ``name -type value``: ``-i`` integer, ``-sN`` a string of N characters, e.g.
  ``sample_byte_format -s2 01``; "byte order (MSB/LSB -> "10", LSB/MSB -> "01")", ``sample_n_bytes``
  bytes per sample, ``sample_count`` samples (the WSJ header description,
  http://svr-www.eng.cam.ac.uk/reports/ajr/TR192/node11.html);
- "the bytes between the "end_head" line and the 1024th byte are undefined" (LDC's OGI corpus readme,
  http://www.ldc.upenn.edu/Catalog/readme_files/ogiml/format.html): a reader must not care what is there
  (tested here with spaces, newlines and NUL bytes).
"""
import numpy as np
import pytest

from lstm_ms.data.audio import read_audio

# int16 values where the byte order shows (0x0102 read the wrong way is 0x0201), both extremes, zero, +-1
SAMPLES = [0, 1, -1, 0x0102, -0x0102, 32767, -32768, 12345, -23456, 0x7F00, 0x00FF, -2]


def _header(fields, pad):
    text = b"NIST_1A\n   1024\n" + b"".join(f.encode("ascii") + b"\n" for f in fields) + b"end_head\n"
    assert len(text) <= 1024
    return text + pad * (1024 - len(text))


def _pcm16(values, byte_format):
    """The samples as 2-byte two's complement, byte by byte: "01" least significant byte first."""
    out = bytearray()
    for v in values:
        lo, hi = v & 0xFF, (v >> 8) & 0xFF
        out += bytes((lo, hi)) if byte_format == "01" else bytes((hi, lo))
    return bytes(out)


def _fields(style, count, byte_format):
    if style == "brief":  # the fields the issue lists, in that order
        return [f"sample_count -i {count}", "sample_rate -i 16000", "channel_count -i 1", "sample_n_bytes -i 2",
                f"sample_byte_format -s2 {byte_format}", "sample_coding -s3 pcm"]
    if style == "timit":  # as TIMIT's .WAV headers: no sample_coding (pcm is the default), utterance fields
        return ["database_id -s5 TIMIT", "database_version -s3 1.0", "utterance_id -s8 aks0_sa1",
                "channel_count -i 1", f"sample_count -i {count}", "sample_max -i 32767", "sample_min -i -32768",
                "sample_rate -i 16000", "sample_n_bytes -i 2", f"sample_byte_format -s2 {byte_format}",
                "sample_sig_bits -i 16"]
    # as CMU's AN4 .sph headers: rate first, then the layout
    return ["sample_rate -i 16000", "channel_count -i 1", "sample_n_bytes -i 2", f"sample_count -i {count}",
            f"sample_byte_format -s2 {byte_format}", "sample_coding -s3 pcm", "sample_sig_bits -i 16"]


@pytest.mark.parametrize("pad", [b" ", b"\n", b"\0"], ids=["spaces", "newlines", "nul"])
@pytest.mark.parametrize("style", ["brief", "timit", "an4"])
@pytest.mark.parametrize("byte_format", ["01", "10"], ids=["little_endian", "big_endian"])
def test_literal_sphere_file_reads_back_its_samples(tmp_path, byte_format, style, pad):
    path = tmp_path / "utt.wav"
    path.write_bytes(_header(_fields(style, len(SAMPLES), byte_format), pad) + _pcm16(SAMPLES, byte_format))
    assert path.read_bytes()[:8] == b"NIST_1A\n" and path.stat().st_size == 1024 + 2 * len(SAMPLES)
    audio = read_audio(path)
    # read_audio documents float32 in [-1, 1): 16-bit PCM divided by 2 ** 15
    assert audio.dtype == np.float32 and audio.shape == (len(SAMPLES),)
    np.testing.assert_array_equal(audio, np.array(SAMPLES, np.float64) / 32768.0)
    assert audio.min() == -1.0 and audio.max() < 1.0


def test_longer_literal_file_both_byte_orders_agree(tmp_path):
    """A second of random 16-bit speech-like samples, once per byte order: the same values either way."""
    rng = np.random.default_rng(7)
    values = [int(v) for v in np.clip(np.round(rng.normal(scale=6000, size=16000)), -32768, 32767)]
    out = {}
    for byte_format in ("01", "10"):
        path = tmp_path / f"utt_{byte_format}.sph"
        path.write_bytes(_header(_fields("brief", len(values), byte_format), b" ") + _pcm16(values, byte_format))
        out[byte_format] = read_audio(path)
    np.testing.assert_array_equal(out["01"], np.array(values, np.float64) / 32768.0)
    np.testing.assert_array_equal(out["10"], out["01"])
