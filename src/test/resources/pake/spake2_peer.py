#!/usr/bin/python3
"""One side of a python-spake2 exchange, for the Java<->Python interop test.

usage: spake2_peer.py MODE PASSWORD_HEX ID_A_HEX [ID_B_HEX]
  MODE is S (SPAKE2_Symmetric, ID_A is idSymmetric), A (SPAKE2_A) or B (SPAKE2_B).
Protocol on stdio (hex lines): prints our message, reads the peer message,
prints the derived key (or "ERROR <exception name>" and exits 2).
Uses real randomness (os.urandom).
"""
import sys
from binascii import hexlify, unhexlify
from spake2 import SPAKE2_A, SPAKE2_B, SPAKE2_Symmetric

mode, pw = sys.argv[1], unhexlify(sys.argv[2])
ida = unhexlify(sys.argv[3]) if len(sys.argv) > 3 else b""
idb = unhexlify(sys.argv[4]) if len(sys.argv) > 4 else b""
if mode == "S":
    s = SPAKE2_Symmetric(pw, idSymmetric=ida)
elif mode == "A":
    s = SPAKE2_A(pw, idA=ida, idB=idb)
elif mode == "B":
    s = SPAKE2_B(pw, idA=ida, idB=idb)
else:
    sys.exit("bad mode " + mode)
print(hexlify(s.start()).decode("ascii"), flush=True)
peer = unhexlify(sys.stdin.readline().strip())
try:
    key = s.finish(peer)
except Exception as e:  # report, don't traceback
    print("ERROR " + type(e).__name__, flush=True)
    sys.exit(2)
print(hexlify(key).decode("ascii"), flush=True)
