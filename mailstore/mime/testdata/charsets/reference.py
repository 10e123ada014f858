#!/usr/bin/env python3
"""Writes reference.json: how Python 3 decodes every byte of the Mac OS
charsets sesbox reads beyond x/text's, for TestMacCharsetsMatchReference.
Run it again (python3 reference.py) after changing a table, and say in the
test why sesbox is right wherever the two disagree.

  single   charset -> the decoding of each byte 0x00..0xFF, one string of
           256 characters (U+FFFD where the codec has no character)
  pairs    charset -> lead byte (hex) -> the decoding of lead+trail for
           each trail 0x40..0xFF, 192 characters (U+FFFD where the pair
           is not one character)

x-mac-arabic and x-mac-farsi are Python's mac_arabic and mac_farsi.
x-mac-japanese is Shift_JIS as Windows writes it (Python's cp932), byte
and pair. Python has no Mac Hebrew codec: x-mac-hebrew is Java's
x-MacHebrew (Apple's table, without the entries Apple maps to more than
one character), read here with the JDK's single-file launcher.
"""
import json, os, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def single(codec):
    return "".join(bytes([b]).decode(codec, "replace") for b in range(256))


def pairs(codec):
    out = {}
    for lead in list(range(0x81, 0xA0)) + list(range(0xE0, 0x100)):
        row = []
        for trail in range(0x40, 0x100):
            s = bytes([lead, trail]).decode(codec, "replace")
            row.append(s if len(s) == 1 else "\ufffd")
        out["%02X" % lead] = "".join(row)
    return out


JAVA = """
public class MacHebrew {
  public static void main(String[] a) throws Exception {
    byte[] b = new byte[256];
    for (int i = 0; i < 256; i++) b[i] = (byte) i;
    System.out.write(new String(b, "x-MacHebrew").getBytes("UTF-8"));
    System.out.flush();
  }
}
"""


def java_mac_hebrew():
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "MacHebrew.java")
        with open(src, "w") as f:
            f.write(JAVA)
        s = subprocess.run(["java", src], check=True, capture_output=True).stdout.decode("utf-8")
    assert len(s) == 256, len(s)
    return s


ref = {
    "single": {
        "x-mac-arabic": single("mac_arabic"),
        "x-mac-farsi": single("mac_farsi"),
        "x-mac-hebrew": java_mac_hebrew(),
        "x-mac-japanese": single("cp932"),
    },
    "pairs": {"x-mac-japanese": pairs("cp932")},
}
with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
    json.dump(ref, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
