#!/usr/bin/python3
"""Generate SPAKE2 known-answer vectors from python-spake2 (Debian python3-spake2 0.8).

Usage (from the repository root):
    /usr/bin/python3 src/test/resources/pake/make_vectors.py > src/test/resources/pake/vectors.json

Entropy is deterministic: each side's entropy_f returns SHA-512(label), i.e. the
64 bytes that python-spake2's ed25519 random_scalar() consumes (it reads them as a
big-endian integer and reduces mod L). Output is a JSON object with one flat
vector object per line (all values are hex strings or plain ASCII) so the Java
test can parse it without a JSON library.
"""
import hashlib
import json
import spake2
from spake2 import SPAKE2_A, SPAKE2_B, SPAKE2_Symmetric
from spake2.parameters.ed25519 import ParamsEd25519
from spake2.ed25519_group import Ed25519Group


def fixed_entropy(label):
    data = hashlib.sha512(label.encode("utf-8")).digest()
    used = []

    def entropy_f(n):
        # python-spake2's ed25519 group asks for exactly 64 bytes once.
        assert n == 64 and not used, (n, used)
        used.append(n)
        return data
    return data, entropy_f


def scalar_hex(s):
    return Ed25519Group.scalar_to_bytes(s).hex()  # 32 bytes, little-endian


def sym_vector(name, pw, ids):
    ea, fa = fixed_entropy(name + "/1")
    eb, fb = fixed_entropy(name + "/2")
    s1 = SPAKE2_Symmetric(pw, idSymmetric=ids, entropy_f=fa)
    s2 = SPAKE2_Symmetric(pw, idSymmetric=ids, entropy_f=fb)
    m1, m2 = s1.start(), s2.start()
    k1, k2 = s1.finish(m2), s2.finish(m1)
    assert k1 == k2
    return dict(name=name, mode="symmetric", password=pw.hex(), idA=ids.hex(), idB="",
                pwScalar=scalar_hex(s1.pw_scalar),
                entropyA=ea.hex(), entropyB=eb.hex(),
                scalarA=scalar_hex(s1.xy_scalar), scalarB=scalar_hex(s2.xy_scalar),
                msgA=m1.hex(), msgB=m2.hex(), key=k1.hex())


def ab_vector(name, pw, ida, idb):
    ea, fa = fixed_entropy(name + "/A")
    eb, fb = fixed_entropy(name + "/B")
    a = SPAKE2_A(pw, idA=ida, idB=idb, entropy_f=fa)
    b = SPAKE2_B(pw, idA=ida, idB=idb, entropy_f=fb)
    ma, mb = a.start(), b.start()
    ka, kb = a.finish(mb), b.finish(ma)
    assert ka == kb
    return dict(name=name, mode="ab", password=pw.hex(), idA=ida.hex(), idB=idb.hex(),
                pwScalar=scalar_hex(a.pw_scalar),
                entropyA=ea.hex(), entropyB=eb.hex(),
                scalarA=scalar_hex(a.xy_scalar), scalarB=scalar_hex(b.xy_scalar),
                msgA=ma.hex(), msgB=mb.hex(), key=ka.hex())


vectors = [
    sym_vector("sym-basic", b"password", b""),
    sym_vector("sym-empty-password", b"", b"tryst"),
    sym_vector("sym-utf8", "pässwörd-日本語-🔑".encode("utf-8"), b"dev.tryst/v1"),
    sym_vector("sym-code", b"7-purple-sausages-banjo", "idé".encode("utf-8")),
    sym_vector("sym-binary", bytes(range(256)), bytes([0, 255, 0x53])),
    ab_vector("ab-basic", b"password", b"", b""),
    ab_vector("ab-empty-password", b"", b"alice", b"bob"),
    ab_vector("ab-utf8", "pässwörd-日本語-🔑".encode("utf-8"), "Алиса".encode("utf-8"), b"\x00\x01"),
    ab_vector("ab-code", b"4-gravity-tango", b"tryst-A", b"tryst-B"),
]

P = ParamsEd25519
out = ['{',
       '"generator": "python-spake2 %s via make_vectors.py",' % spake2.__version__,
       '"S": "%s",' % P.S.to_bytes().hex(),
       '"M": "%s",' % P.M.to_bytes().hex(),
       '"N": "%s",' % P.N.to_bytes().hex(),
       '"vectors": [']
for i, v in enumerate(vectors):
    out.append(json.dumps(v, ensure_ascii=True) + ("," if i + 1 < len(vectors) else ""))
out.append(']}')
print("\n".join(out))
