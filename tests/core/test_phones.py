import pytest

from lstm_ms.core import phones
from lstm_ms.core.phones import MAP_48_39, MAP_61_39, MAP_61_48, PHONES_39, PHONES_48, PHONES_61, fold


def test_set_sizes_and_sorted():
    assert len(PHONES_61) == 61 and len(PHONES_48) == 48 and len(PHONES_39) == 39
    for s in (PHONES_61, PHONES_48, PHONES_39):
        assert list(s) == sorted(s) and len(set(s)) == len(s)
    assert set(MAP_61_48) == set(MAP_61_39) == set(PHONES_61)
    assert set(MAP_48_39) == set(PHONES_48) and set(MAP_48_39.values()) == set(PHONES_39)
    assert {"h#", "pau", "epi", "q", "ax-h", "eng"} <= set(PHONES_61)


def test_q_removed_and_known_folds():
    assert MAP_61_48["q"] is None and MAP_61_39["q"] is None
    assert "q" not in PHONES_48
    assert MAP_48_39["ao"] == "aa" and MAP_61_39["ao"] == "aa"
    for closure in ("bcl", "dcl", "gcl"):
        assert MAP_61_48[closure] == "vcl" and MAP_61_39[closure] == "sil"
    for closure in ("pcl", "tcl", "kcl"):
        assert MAP_61_48[closure] == "cl" and MAP_61_39[closure] == "sil"
    assert MAP_61_48["h#"] == MAP_61_48["pau"] == phones.SILENCE
    assert MAP_61_39["epi"] == "sil" and MAP_61_48["epi"] == "epi"
    assert MAP_61_48["ax-h"] == "ax" and MAP_61_39["ix"] == "ih" and MAP_61_39["zh"] == "sh"
    assert MAP_61_39["el"] == "l" and MAP_61_39["en"] == "n" and MAP_61_48["nx"] == "n"
    assert MAP_61_48["ux"] == "uw" and MAP_61_48["axr"] == "er" and MAP_61_48["hv"] == "hh"
    # the 39 classes are the 48 ones minus these folded-away classes
    assert set(PHONES_48) - set(PHONES_39) == {"ao", "ax", "cl", "vcl", "epi", "ix", "el", "en", "zh"}
    for p in PHONES_61:  # one-step map is the composition
        m = MAP_61_48[p]
        assert MAP_61_39[p] == (None if m is None else MAP_48_39[m])


def test_fold():
    seq = ["h#", "q", "ao", "bcl", "b", "zh", "h#"]
    assert fold(seq, MAP_61_48) == ["sil", "ao", "vcl", "b", "zh", "sil"]
    assert fold(fold(seq, MAP_61_48), MAP_48_39) == ["sil", "aa", "sil", "b", "sh", "sil"] == fold(seq, MAP_61_39)
    with pytest.raises(ValueError, match="'xx'"):
        fold(["aa", "xx"], MAP_61_48)
    with pytest.raises(ValueError, match="'q'"):
        fold(["q"], MAP_48_39)
