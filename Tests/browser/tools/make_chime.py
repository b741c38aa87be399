#!/usr/bin/env python3
"""Writes kiosk/chime.wav: a soft two-tone "ding-dong" for the call display (16-bit mono, 11025 Hz, < 20 KB).

Run from the repository root: python3 Tests/browser/tools/make_chime.py
"""
import math
import os
import struct
import wave

RATE = 11025
OUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'kiosk', 'chime.wav')


def tone(freq, start, length, total):
    """A bell-like tone: fundamental plus two soft partials, fast attack, exponential decay."""
    out = [0.0] * total
    for i in range(int(length * RATE)):
        j = int(start * RATE) + i
        if j >= total:
            break
        t = i / RATE
        env = min(1.0, t / 0.008) * math.exp(-t * 4.2)
        s = (math.sin(2 * math.pi * freq * t)
             + 0.35 * math.sin(2 * math.pi * freq * 2 * t) * math.exp(-t * 6)
             + 0.12 * math.sin(2 * math.pi * freq * 3.01 * t) * math.exp(-t * 9))
        out[j] = env * s
    return out


def main():
    seconds = 0.85
    total = int(seconds * RATE)
    ding = tone(784.0, 0.0, 0.85, total)   # G5
    dong = tone(622.3, 0.28, 0.57, total)  # D#5
    mix = [a + b for a, b in zip(ding, dong)]
    peak = max(abs(x) for x in mix) or 1.0
    fade = int(0.05 * RATE)
    frames = bytearray()
    for i, x in enumerate(mix):
        g = 1.0 if i < total - fade else (total - i) / fade
        frames += struct.pack('<h', int(x / peak * 0.7 * 32767 * g))
    with wave.open(OUT, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    print(os.path.normpath(OUT), os.path.getsize(OUT), 'bytes')


if __name__ == '__main__':
    main()
