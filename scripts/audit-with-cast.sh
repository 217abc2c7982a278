#!/usr/bin/env bash
# Verifies a Cove compute job from the chain and the bytes alone, without Cove's code: every rule it
# applies is in docs/audit-spec.md. Tools: cast (Foundry), jq, sha256sum, curl, bash and python3's
# standard library (secp256k1 recovery, CIDs and UnixFS, the tar bundle, canonical JSON; keccak256
# always comes from `cast keccak`, as hashlib has none).
#
#   RPC_URL=http://127.0.0.1:8545 COVE_DEPLOYMENT=contracts/deployments/31337.local.json \
#     scripts/audit-with-cast.sh <jobId>
#
# Environment:
#   RPC_URL          JSON-RPC endpoint of the chain (required)
#   COVE_DEPLOYMENT  deployment file: contracts/deployments/<chainId>.json (flat addresses) or a
#                    Cove network file (addresses under .contracts) (required)
#   PROVIDER_URL     where to fetch raw blocks (GET /ipfs/<cid>); default the job's provider's URL
#                    in ProviderRegistry
#   RESULTS_DIR      the job's decrypted result files: adds the outputsHash check. A file here (or
#                    RESULTS_BUNDLE) is read as the decrypted result bundle (tar) instead
#   ALGORITHM_SPEC   a container spec JSON file: adds the algorithmSpec check
#   FETCH_RESULT     1: also fetch the (encrypted) result from the provider and check it against
#                    its CID (resultAvailable)
#   LOG_RANGE        most blocks per eth_getLogs request (default 10000)
#
# Prints one line per check, PASS or FAIL with a reason (SKIP when it cannot be evaluated), and
# exits 0 when every check passed, 1 naming the first failing check, 2 on a usage or tool error.
set -uo pipefail

usage() { echo "usage: RPC_URL=… COVE_DEPLOYMENT=… $0 <jobId>" >&2; exit 2; }
[ $# -eq 1 ] || usage
JOB_ID=$(printf '%s' "$1" | tr 'A-F' 'a-f')
[[ "$JOB_ID" =~ ^0x[0-9a-f]{64}$ ]] || { echo "audit: the job id must be 0x + 64 hex digits" >&2; exit 2; }
: "${RPC_URL:?audit: set RPC_URL}" "${COVE_DEPLOYMENT:?audit: set COVE_DEPLOYMENT to the deployment JSON file}"
for tool in cast jq sha256sum curl python3; do
  command -v "$tool" >/dev/null || { echo "audit: $tool is not on PATH" >&2; exit 2; }
done
[ -r "$COVE_DEPLOYMENT" ] || { echo "audit: cannot read $COVE_DEPLOYMENT" >&2; exit 2; }
export ETH_RPC_URL=$RPC_URL

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/helper.py" <<'PYEOF'
# cove audit helper: python3 standard library only; keccak256 comes from `cast keccak`.
import base64, hashlib, json, os, subprocess, sys, urllib.request

def die(msg):
    print(msg, file=sys.stderr); sys.exit(3)

# ---------- keccak (cast), ABI words ----------
def keccak(data: bytes) -> bytes:
    out = subprocess.run(['cast', 'keccak', '0x' + data.hex()], check=True, capture_output=True, text=True).stdout.strip()
    return bytes.fromhex(out[2:])

def h2b(h: str) -> bytes:
    h = h[2:] if h.lower().startswith('0x') else h
    return bytes.fromhex(h)

def word(v) -> bytes:
    if isinstance(v, bytes):
        return v.rjust(32, b'\0')
    if isinstance(v, str):
        return h2b(v).rjust(32, b'\0')
    return int(v).to_bytes(32, 'big')

# ---------- receipts v2 ----------
RECEIPT_TYPE = ('Receipt(bytes32 jobId,address consumer,bytes32[] orderIds,uint256[] assetIds,bytes32[] datasetContentHashes,'
                'bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,bytes32 algorithmHash,bytes32 outputsHash,'
                'string resultCid,uint8 status,uint8 runtime,uint64 startedAt,uint64 finishedAt)')
BATCH_TYPE = 'ReceiptBatch(bytes32 root,uint256 count)'
DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'
FIELDS = ['jobId', 'consumer', 'orderIds', 'assetIds', 'datasetContentHashes', 'algorithmImageDigest', 'algorithmCodeHash',
          'algorithmHash', 'outputsHash', 'resultCid', 'status', 'runtime', 'startedAt', 'finishedAt']

def receipt_obj(t):
    r = dict(zip(FIELDS, t))
    r['jobId'] = r['jobId'].lower(); r['consumer'] = r['consumer'].lower()
    r['orderIds'] = [o.lower() for o in r['orderIds']]
    r['assetIds'] = [int(a) for a in r['assetIds']]
    r['datasetContentHashes'] = [c.lower() for c in r['datasetContentHashes']]
    for k in ('algorithmImageDigest', 'algorithmCodeHash', 'algorithmHash', 'outputsHash'): r[k] = r[k].lower()
    for k in ('status', 'runtime', 'startedAt', 'finishedAt'): r[k] = int(r[k])
    return r

def struct_hash(r, typehash):
    enc = b''.join([
        typehash, word(r['jobId']), word(r['consumer']),
        keccak(b''.join(word(x) for x in r['orderIds'])),
        keccak(b''.join(word(x) for x in r['assetIds'])),
        keccak(b''.join(word(x) for x in r['datasetContentHashes'])),
        word(r['algorithmImageDigest']), word(r['algorithmCodeHash']), word(r['algorithmHash']), word(r['outputsHash']),
        keccak(r['resultCid'].encode('utf-8')),
        word(r['status']), word(r['runtime']), word(r['startedAt']), word(r['finishedAt'])])
    return keccak(enc)

def leaf(r, typehash):
    return keccak(struct_hash(r, typehash) + word(r['jobId']) + word(r['consumer']) + word(r['status']))

def pair(a, b):
    return keccak(a + b if a <= b else b + a)

def merkle_levels(leaves):
    levels = [leaves]
    while len(levels[-1]) > 1:
        lv = levels[-1]
        levels.append([pair(lv[i], lv[i + 1]) if i + 1 < len(lv) else lv[i] for i in range(0, len(lv), 2)])
    return levels

def merkle_proof(levels, index):
    proof = []
    for lv in levels[:-1]:
        if (index ^ 1) < len(lv): proof.append(lv[index ^ 1])
        index >>= 1
    return proof

# ---------- secp256k1 public-key recovery ----------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798, 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)

def ec_add(a, b):
    if a is None: return b
    if b is None: return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0: return None
    if a == b: l = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else: l = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (l * l - a[0] - b[0]) % P
    return (x, (l * (a[0] - x) - a[1]) % P)

def ec_mul(k, pt):
    acc = None
    while k:
        if k & 1: acc = ec_add(acc, pt)
        pt = ec_add(pt, pt); k >>= 1
    return acc

def recover(digest: bytes, sig: bytes):
    """The signer's address (0x + 40 lower-case hex) of a 65-byte r‖s‖v signature, or raises ValueError."""
    if len(sig) != 65: raise ValueError(f'signature is {len(sig)} bytes, not 65')
    r, s, v = int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:64], 'big'), sig[64]
    if v in (0, 1): v += 27
    if v not in (27, 28): raise ValueError(f'v is {v}, not 27 or 28')
    if not (1 <= r < N and 1 <= s < N): raise ValueError('r or s out of range')
    if s > N // 2: raise ValueError('s is in the upper half of the curve order (malleable; ECDSA.recover refuses it)')
    y2 = (pow(r, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2: raise ValueError('r is not the x of a curve point')
    if (y & 1) != (v - 27): y = P - y
    e = int.from_bytes(digest, 'big')
    rinv = pow(r, -1, N)
    q = ec_mul(rinv, ec_add(ec_mul(s, (r, y)), ec_mul((N - e) % N, G)))
    if q is None: raise ValueError('recovers to the point at infinity')
    pub = q[0].to_bytes(32, 'big') + q[1].to_bytes(32, 'big')
    return '0x' + keccak(pub)[12:].hex()

# ---------- CIDs, raw blocks, UnixFS ----------
B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

def varint(buf, i):
    x = shift = 0
    while True:
        if i >= len(buf): raise ValueError('truncated varint')
        b = buf[i]; i += 1
        x |= (b & 0x7f) << shift; shift += 7
        if not b & 0x80: return x, i

def base_decode(s, alphabet, zero):
    n = 0
    for ch in s:
        d = alphabet.find(ch)
        if d < 0: raise ValueError(f'bad character {ch!r}')
        n = n * len(alphabet) + d
    raw = n.to_bytes((n.bit_length() + 7) // 8, 'big') if n else b''
    return b'\0' * (len(s) - len(s.lstrip(zero))) + raw

def cid_bytes(cid: str) -> bytes:
    if not cid: raise ValueError('empty CID')
    if cid.startswith('Qm') and len(cid) == 46: return base_decode(cid, B58, '1')  # CIDv0: a bare sha2-256 multihash
    prefix, body = cid[0], cid[1:]
    if prefix == 'b': return base64.b32decode(body.upper() + '=' * (-len(body) % 8))
    if prefix == 'z': return base_decode(body, B58, '1')
    if prefix == 'k': return base_decode(body, '0123456789abcdefghijklmnopqrstuvwxyz', '0')
    raise ValueError(f'unsupported multibase prefix {prefix!r}')

def parse_cid(b: bytes):
    """(version, codec, hash code, digest) of binary CID bytes."""
    if len(b) == 34 and b[0] == 0x12 and b[1] == 0x20: return 0, 0x70, 0x12, b[2:]
    version, i = varint(b, 0)
    if version != 1: raise ValueError(f'CID version {version}')
    codec, i = varint(b, i); code, i = varint(b, i); length, i = varint(b, i)
    digest = b[i:]
    if len(digest) != length: raise ValueError('multihash length does not match its digest')
    return 1, codec, code, digest

def cid_string(b: bytes) -> str:
    if len(b) == 34 and b[0] == 0x12:
        n = int.from_bytes(b, 'big'); out = ''
        while n: n, d = divmod(n, 58); out = B58[d] + out
        return out
    return 'b' + base64.b32encode(b).decode().lower().rstrip('=')

def pb_fields(buf):
    i = 0
    while i < len(buf):
        key, i = varint(buf, i); field, wt = key >> 3, key & 7
        if wt == 0: val, i = varint(buf, i)
        elif wt == 2:
            ln, i = varint(buf, i); val = buf[i:i + ln]; i += ln
            if len(val) != ln: raise ValueError('truncated protobuf field')
        else: raise ValueError(f'unsupported protobuf wire type {wt}')
        yield field, val

class Fetcher:
    def __init__(self, base, max_bytes):
        self.base, self.max, self.total, self.blocks = base.rstrip('/'), max_bytes, 0, 0
    def block(self, cb: bytes) -> bytes:
        """One block by CID from the trustless gateway, checked against the CID's sha2-256 digest."""
        version, codec, code, digest = parse_cid(cb)
        if code != 0x12 or len(digest) != 32: raise ValueError(f'CID {cid_string(cb)} does not use sha2-256')
        url = f'{self.base}/ipfs/{cid_string(cb)}?format=raw'
        req = urllib.request.Request(url, headers={'Accept': 'application/vnd.ipld.raw'})
        try:
            with urllib.request.urlopen(req, timeout=30) as res: data = res.read(4 * 1024 * 1024 + 1)
        except Exception as err: raise ValueError(f'GET {url}: {err}')
        if len(data) > 4 * 1024 * 1024: raise ValueError(f'block {cid_string(cb)} exceeds 4 MiB')
        if hashlib.sha256(data).digest() != digest:
            raise ValueError(f'the block served for {cid_string(cb)} hashes to {hashlib.sha256(data).hexdigest()}, not to its CID\'s digest {digest.hex()}')
        self.blocks += 1
        return data
    def file(self, cb: bytes, out):
        version, codec, code, digest = parse_cid(cb)
        data = self.block(cb)
        if codec == 0x55: chunks = [data]
        elif codec == 0x70:
            links, unixfs = [], None
            for f, v in pb_fields(data):
                if f == 2: links.append(next((lv for lf, lv in pb_fields(v) if lf == 1), None))
                elif f == 1: unixfs = v
            fields = list(pb_fields(unixfs or b''))
            kind = next((v for f, v in fields if f == 1), None)
            if kind not in (0, 2): raise ValueError(f'{cid_string(cb)} is a UnixFS node of type {kind}, not a file')
            inline = next((v for f, v in fields if f == 2), b'')
            self.emit(inline, out)
            for lk in links:
                if lk is None: raise ValueError(f'{cid_string(cb)} has a link without a hash')
                self.file(lk, out)
            return
        else: raise ValueError(f'CID {cid_string(cb)} has codec 0x{codec:x}, neither raw (0x55) nor dag-pb (0x70)')
        for c in chunks: self.emit(c, out)
    def emit(self, chunk, out):
        self.total += len(chunk)
        if self.total > self.max: raise ValueError(f'content exceeds {self.max} bytes')
        out.write(chunk)

# ---------- canonical JSON (RFC 8785 for Cove's values: JSON.stringify's numbers and escapes) ----------
def js_number(x):
    """A number as JSON.stringify writes it (ECMAScript Number::toString: shortest round-trip digits)."""
    if isinstance(x, bool): raise TypeError('bool')
    if isinstance(x, int): return str(x)
    if x != x or x in (float('inf'), float('-inf')): raise ValueError('non-finite number')
    if x == 0: return '0'
    sign = '-' if x < 0 else ''
    m, _, e = repr(abs(x)).partition('e')
    ip, _, fp = m.partition('.')
    digits = (ip + fp).lstrip('0')
    n = len(ip) + int(e or 0) - (len(ip + fp) - len((ip + fp).lstrip('0')))  # digits = 0.d1d2… × 10^n
    digits = digits.rstrip('0')
    k = len(digits)
    if k <= n <= 21: s = digits + '0' * (n - k)
    elif 0 < n <= 21: s = digits[:n] + '.' + digits[n:]
    elif -6 < n <= 0: s = '0.' + '0' * (-n) + digits
    else: s = digits[0] + ('.' + digits[1:] if k > 1 else '') + 'e' + ('+' if n - 1 >= 0 else '-') + str(abs(n - 1))
    return sign + s

def canonical(v):
    if v is None or isinstance(v, bool) or isinstance(v, str): return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)): return js_number(v)
    if isinstance(v, list): return '[' + ','.join(canonical(x) for x in v) + ']'
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode('utf-16-be'))
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + canonical(v[k]) for k in keys) + '}'
    raise TypeError(type(v))

# ---------- result files, bundles, listing hash ----------
def listing_hash(entries):
    h = hashlib.sha256()
    for path, digest in sorted(entries, key=lambda e: e[0].encode('utf-8')):
        h.update(path.encode('utf-8') + b'\0' + digest.encode() + b'\n')
    return '0x' + h.hexdigest()

def safe_path(p):
    return p != '' and not p.startswith('/') and '\\' not in p and '\0' not in p and all(s not in ('', '.', '..') for s in p.split('/'))

def dir_entries(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, root).replace(os.sep, '/')
            if os.path.islink(full) or not (os.path.isdir(full) or os.path.isfile(full)):
                raise ValueError(f'{rel} is not a regular file')
            if os.path.isfile(full):
                with open(full, 'rb') as f: out.append((rel, hashlib.sha256(f.read()).hexdigest()))
    return out

def octal(v, width): return (format(v, 'o').rjust(width - 1, '0') + '\0').encode()

def bundle_header(path, size):
    pb = path.encode('utf-8'); name, prefix = pb, b''
    if len(pb) > 100:
        for i in [i for i, c in enumerate(pb) if c == 0x2f]:
            if i <= 155 and len(pb) - i - 1 <= 100: name, prefix = pb[i + 1:], pb[:i]; break
        else: raise ValueError(f'path too long: {path}')
    h = bytearray(512)
    h[0:len(name)] = name; h[100:108] = octal(0o644, 8); h[108:116] = octal(0, 8); h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12); h[136:148] = octal(0, 12); h[156] = 0x30; h[257:263] = b'ustar\0'; h[263:265] = b'00'
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b' ' * 8
    h[148:156] = format(sum(h), 'o').rjust(6, '0').encode() + b'\0 '
    return bytes(h)

def bundle_entries(path):
    """(path, sha256) of each file of a Cove result bundle; refuses anything not byte for byte in Cove's form."""
    data = open(path, 'rb').read(); i = 0; out = []; last = None
    while True:
        h = data[i:i + 512]
        if len(h) < 512: raise ValueError('bundle ends without its two zero end blocks')
        if h == bytes(512): break
        cut = lambda b: b.split(b'\0', 1)[0].decode('utf-8')
        name, prefix = cut(h[0:100]), cut(h[345:500])
        p = prefix + '/' + name if prefix else name
        size = int(h[124:135].decode('ascii'), 8)
        if not safe_path(p): raise ValueError(f'unsafe path {p!r}')
        if bundle_header(p, size) != h: raise ValueError(f'the header of {p} is not Cove\'s (mode 0644, owner 0, mtime 0, ustar, checksum)')
        if last is not None and last.encode('utf-8') >= p.encode('utf-8'): raise ValueError(f'{p} is out of order or repeated (files are sorted by the UTF-8 bytes of their paths)')
        last = p
        body = data[i + 512:i + 512 + size]
        if len(body) != size: raise ValueError(f'bundle ends inside {p}')
        pad = (512 - size % 512) % 512
        if data[i + 512 + size:i + 512 + size + pad] != bytes(pad): raise ValueError(f'padding after {p} is not zeros')
        out.append((p, hashlib.sha256(body).hexdigest()))
        i += 512 + size + pad
    if data[i:] != bytes(1024): raise ValueError('the bundle does not end in exactly two zero blocks')
    return out

# ---------- commands ----------
def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'batch':
        # batch <calldata-decode json> <selector> <jobId> <chainId> <computeReceipts>: rebuild the batch, print facts as JSON
        decoded, selector, job_id, chain_id, contract = json.load(open(args[0])), args[1], args[2].lower(), int(args[3]), args[4].lower()
        raw = [decoded[0]] if selector == 'recordJob' else decoded[0]
        receipts = [receipt_obj(t) for t in raw]
        sig = h2b(decoded[1])
        th = keccak(RECEIPT_TYPE.encode())
        leaves = [leaf(r, th) for r in receipts]
        levels = merkle_levels(leaves)
        root = levels[-1][0]
        idx = [i for i, r in enumerate(receipts) if r['jobId'] == job_id]
        out = {'count': len(receipts), 'root': '0x' + root.hex(), 'indices': idx, 'receiptTypehash': '0x' + th.hex(), 'batchTypehash': '0x' + keccak(BATCH_TYPE.encode()).hex()}
        if len(idx) == 1:
            i = idx[0]; node = leaves[i]; proof = merkle_proof(levels, i)
            for sib in proof: node = pair(node, sib)
            out.update({'index': i, 'receipt': receipts[i], 'receiptHash': '0x' + struct_hash(receipts[i], th).hex(), 'leaf': '0x' + leaves[i].hex(),
                        'proof': ['0x' + p.hex() for p in proof], 'proofRoot': '0x' + node.hex()})
        dsep = keccak(keccak(DOMAIN_TYPE.encode()) + keccak(b'Cove ComputeReceipts') + keccak(b'2') + word(chain_id) + word(contract))
        digest = keccak(b'\x19\x01' + dsep + keccak(keccak(BATCH_TYPE.encode()) + root + word(len(receipts))))
        out.update({'domainSeparator': '0x' + dsep.hex(), 'digest': '0x' + digest.hex(), 'signature': '0x' + sig.hex()})
        try: out['signer'] = recover(digest, sig)
        except ValueError as err: out['signerError'] = str(err)
        json.dump(out, sys.stdout)
    elif cmd == 'recover':
        print(recover(h2b(args[0]), h2b(args[1])))
    elif cmd == 'anchor':
        # anchor <published logs json> <updated logs json> <block> <logIndex>: the document anchored before that log, and the latest
        published, updated, blk, li = json.load(open(args[0])), json.load(open(args[1])), int(args[2], 0), int(args[3], 0)
        def string_at(data, off):
            n = int.from_bytes(data[off:off + 32], 'big'); return data[off + 32:off + 32 + n].decode('utf-8')
        versions = []
        for lg in published:  # AssetPublished data: kind, cid (offset), metadataHash, pricing, pricingId, initialSupply
            d = h2b(lg['data']); versions.append((int(lg['blockNumber'], 16), int(lg['logIndex'], 16), string_at(d, int.from_bytes(d[32:64], 'big')), '0x' + d[64:96].hex(), lg['transactionHash']))
        for lg in updated:  # MetadataDocumentUpdated: topics assetId, metadataHash; data: cid (offset), updater
            d = h2b(lg['data']); versions.append((int(lg['blockNumber'], 16), int(lg['logIndex'], 16), string_at(d, int.from_bytes(d[0:32], 'big')), lg['topics'][2].lower(), lg['transactionHash']))
        versions.sort()
        before = [v for v in versions if (v[0], v[1]) < (blk, li)]
        res = {'versions': len(versions)}
        if before: res['atJob'] = {'block': before[-1][0], 'cid': before[-1][2], 'hash': before[-1][3]}
        if versions: res['latest'] = {'block': versions[-1][0], 'cid': versions[-1][2], 'hash': versions[-1][3], 'tx': versions[-1][4]}
        after = [v for v in versions if (v[0], v[1]) > (blk, li) and (v[2], v[3]) != (before[-1][2], before[-1][3])] if before else []
        if after: res['changedAt'] = {'block': after[0][0], 'tx': after[0][4], 'cid': after[0][2]}
        json.dump(res, sys.stdout)
    elif cmd == 'fetch':
        # fetch <gateway> <cid> <out> [maxBytes]: the file a CID names, every block checked against its CID
        f = Fetcher(args[0], int(args[3]) if len(args) > 3 else 1 << 30)
        try:
            with open(args[2], 'wb') as out: f.file(cid_bytes(args[1]), out)
        except (ValueError, IndexError, UnicodeError, OSError) as err:
            print(str(err)); sys.exit(1)
        print(f'{f.blocks} block(s), {f.total} bytes')
    elif cmd == 'canonical':
        # canonical <file>: exit 0 when the file is the canonical JSON of itself
        data = open(args[0], 'rb').read()
        try: value = json.loads(data.decode('utf-8'))
        except Exception as err: print(f'not UTF-8 JSON: {err}'); sys.exit(1)
        if canonical(value).encode('utf-8') != data: print('not in canonical form (keys sorted, no whitespace, JSON.stringify escapes)'); sys.exit(1)
    elif cmd == 'algorithm-hash':
        # algorithm-hash <spec.json>: sha256 of the canonical JSON of the spec with kind and version (bare specs get them)
        spec = json.load(open(args[0], encoding='utf-8'))
        if not isinstance(spec, dict): die('not an algorithm spec: expected a JSON object')
        if ('kind' in spec or 'version' in spec) and (spec.get('kind') != 'cove-algorithm' or spec.get('version') != 1): die('not an algorithm spec of version 1')
        spec = {**spec, 'kind': 'cove-algorithm', 'version': 1}
        missing = [k for k in ('image', 'codeHash', 'entrypoint', 'command', 'workingDir', 'env', 'user') if k not in spec]
        if missing: die('algorithm spec lacks ' + ', '.join(missing) + ' (give the normalized spec, as cove hash-algorithm --out writes it)')
        print(json.dumps({'hash': '0x' + hashlib.sha256(canonical(spec).encode('utf-8')).hexdigest(), 'image': spec['image'], 'codeHash': spec['codeHash']}))
    elif cmd == 'listing':
        # listing dir|bundle <path>: the runner's listing hash of result files
        try: entries = dir_entries(args[1]) if args[0] == 'dir' else bundle_entries(args[1])
        except (ValueError, UnicodeDecodeError) as err: print(json.dumps({'error': str(err)})); return
        print(json.dumps({'hash': listing_hash(entries), 'files': len(entries)}))
    elif cmd == 'listing-of':
        # listing-of <json list of {path, sha256}>
        print(listing_hash([(e['path'], e['sha256']) for e in json.loads(args[0])]))
    else: die(f'unknown helper command {cmd}')

main()
PYEOF
py() { python3 "$WORK/helper.py" "$@"; }

# ---------- reporting ----------
FIRST_FAIL=""
pass() { printf 'PASS %-24s %s\n' "$1" "$2"; }
fail() { printf 'FAIL %-24s %s\n' "$1" "$2"; [ -n "$FIRST_FAIL" ] || FIRST_FAIL=$1; }
skip() { printf 'SKIP %-24s %s\n' "$1" "$2"; }
finish() {
  if [ -n "$FIRST_FAIL" ]; then
    echo "audit of $JOB_ID FAILED: first failing check: $FIRST_FAIL"
    exit 1
  fi
  echo "audit of $JOB_ID PASSED"
  exit 0
}
# Every later check cannot be evaluated: print them as SKIP and stop.
stop_after() {
  local reason=$1; shift
  for c in "$@"; do skip "$c" "not evaluated: $reason"; done
  finish
}
lc() { tr 'A-F' 'a-f'; }
# A uint as a 32-byte topic.
topic_uint() { cast to-uint256 "$1"; }

# ---------- the deployment ----------
addr() { jq -r --arg k "$1" '(.contracts[$k] // .[$k] // empty)' "$COVE_DEPLOYMENT" | lc; }
CR=$(addr computeReceipts); NFT=$(addr dataNFT); FACTORY=$(addr assetFactory); REGISTRY=$(addr providerRegistry)
for v in CR NFT FACTORY REGISTRY; do
  [[ "${!v}" =~ ^0x[0-9a-f]{40}$ ]] || { echo "audit: $COVE_DEPLOYMENT lacks an address for $v" >&2; exit 2; }
done
CHAIN_ID=$(cast chain-id) || { echo "audit: no answer from $RPC_URL" >&2; exit 2; }
FILE_CHAIN=$(jq -r '.chainId // empty' "$COVE_DEPLOYMENT")
[ -z "$FILE_CHAIN" ] || [ "$FILE_CHAIN" = "$CHAIN_ID" ] || { echo "audit: $COVE_DEPLOYMENT is for chain $FILE_CHAIN, $RPC_URL is chain $CHAIN_ID" >&2; exit 2; }
# Pin every read to one block, so the audit sees one state of the chain.
HEAD=$(cast block-number)
ONCHAIN_START=$(cast call "$CR" 'deploymentBlock()(uint256)' --block "$HEAD" 2>/dev/null | awk '{print $1}')
[[ "$ONCHAIN_START" =~ ^[0-9]+$ ]] || { echo "audit: $CR answers no deploymentBlock(): not a ComputeReceipts v2 contract" >&2; exit 2; }
FILE_START=$(jq -r '.deploymentBlock // empty' "$COVE_DEPLOYMENT")
# The file's start block is a lower bound; the contract's is exact. Scan from the lower of the two.
FROM=$ONCHAIN_START
[[ "$FILE_START" =~ ^[0-9]+$ ]] && [ "$FILE_START" -lt "$FROM" ] && FROM=$FILE_START
LOG_RANGE=${LOG_RANGE:-10000}

# logs <address> <topic0> [topic1 [topic2 [topic3]]]: every log FROM..HEAD as one JSON array, asked
# for in windows of LOG_RANGE blocks (nodes cap eth_getLogs ranges; cast does not split them).
logs() {
  local address=$1; shift
  local start=$FROM end out="[]" part
  while [ "$start" -le "$HEAD" ]; do
    end=$((start + LOG_RANGE - 1)); [ "$end" -le "$HEAD" ] || end=$HEAD
    part=$(cast logs --json --from-block "$start" --to-block "$end" --address "$address" "$@") || return 1
    out=$(jq -c --argjson a "$out" '$a + .' <<<"$part")
    start=$((end + 1))
  done
  printf '%s\n' "$out"
}
TOPIC_JOB_RECORDED=$(cast keccak 'JobRecorded(bytes32,bytes32,address,bytes32,string,uint8,uint8,bytes32,bytes32,bytes32,uint64,uint64)')
TOPIC_ORDER_CONSUMED=$(cast keccak 'OrderConsumed(bytes32,bytes32,uint256,bytes32)')
TOPIC_ORDER_STARTED=$(cast keccak 'OrderStarted(bytes32,uint256,address,address,uint256,address,uint64)')
TOPIC_ASSET_PUBLISHED=$(cast keccak 'AssetPublished(uint256,address,address,uint8,string,bytes32,uint8,uint256,uint256)')
TOPIC_METADATA_UPDATED=$(cast keccak 'MetadataDocumentUpdated(uint256,bytes32,string,address)')
TOPIC_LINEAGE=$(cast keccak 'LineageRecorded(uint256,bytes32,bytes32)')
RECEIPT_TUPLE='(bytes32,address,bytes32[],uint256[],bytes32[],bytes32,bytes32,bytes32,bytes32,string,uint8,uint8,uint64,uint64)'
CHECKS=(receiptFound batchRecorded merkleInclusion providerSignature providerRegistered ordersConsumed jobTime documentHash datasetContentHashes algorithmAllowed documentUnchanged)
[ -n "${ALGORITHM_SPEC:-}" ] && CHECKS+=(algorithmSpec)
RESULTS=${RESULTS_BUNDLE:-${RESULTS_DIR:-}}
[ -n "$RESULTS" ] && CHECKS+=(outputsHash)
[ "${FETCH_RESULT:-}" = 1 ] && CHECKS+=(resultAvailable)
CHECKS+=(lineage)
rest() { local from=$1 out=() seen=""; for c in "${CHECKS[@]}"; do [ "$c" = "$from" ] && seen=1 && continue; [ -n "$seen" ] && out+=("$c"); done; printf '%s\n' "${out[@]}"; }

echo "audit of job $JOB_ID on chain $CHAIN_ID: ComputeReceipts $CR, blocks $FROM..$HEAD"

# ---------- receiptFound: exactly one JobRecorded for the job id ----------
JOB_LOGS=$(logs "$CR" "$TOPIC_JOB_RECORDED" "$JOB_ID") || { echo "audit: cast logs failed" >&2; exit 2; }
N=$(jq length <<<"$JOB_LOGS")
if [ "$N" -eq 0 ]; then
  fail receiptFound "no JobRecorded log carries job id $JOB_ID in blocks $FROM..$HEAD"
  mapfile -t R < <(rest receiptFound); stop_after "there is no receipt" "${R[@]}"
elif [ "$N" -gt 1 ]; then
  fail receiptFound "$N JobRecorded logs carry job id $JOB_ID: its provider reused the id, so none identifies the job"
  mapfile -t R < <(rest receiptFound); stop_after "the job id is not unique" "${R[@]}"
fi
LOG=$(jq -c '.[0]' <<<"$JOB_LOGS")
TX=$(jq -r .transactionHash <<<"$LOG")
BLOCK=$(cast to-dec "$(jq -r .blockNumber <<<"$LOG")")
LOG_INDEX=$(cast to-dec "$(jq -r .logIndex <<<"$LOG")")
ROOT=$(jq -r '.topics[2]' <<<"$LOG" | lc)
EVENT_CONSUMER=0x$(jq -r '.topics[3]' <<<"$LOG" | cut -c27- | lc)
PROVIDER=${JOB_ID:0:42}
cast abi-decode --json 'f()(bytes32,string,uint8,uint8,bytes32,bytes32,bytes32,uint64,uint64)' "$(jq -r .data <<<"$LOG")" >"$WORK/event.json"
pass receiptFound "one JobRecorded at block $BLOCK (tx $TX), batch root $ROOT; the job id names provider $PROVIDER"

# ---------- batchRecorded: the transaction's calldata holds the batch, which the chain recorded for this provider ----------
TX_JSON=$(cast tx "$TX" --json)
TO=$(jq -r .to <<<"$TX_JSON" | lc)
INPUT=$(jq -r '.input // .data' <<<"$TX_JSON")
SELECTOR=${INPUT:0:10}
SEL_JOB=$(cast sig "recordJob($RECEIPT_TUPLE,bytes)"); SEL_BATCH=$(cast sig "recordBatch($RECEIPT_TUPLE[],bytes)")
if [ "$TO" != "$CR" ] || { [ "$SELECTOR" != "$SEL_JOB" ] && [ "$SELECTOR" != "$SEL_BATCH" ]; }; then
  fail batchRecorded "transaction $TX is not a direct recordJob/recordBatch call to $CR (to $TO, selector $SELECTOR): the receipts and signature cannot be read from its calldata"
  mapfile -t R < <(rest batchRecorded); stop_after "no calldata to rebuild the batch from" "${R[@]}"
fi
if [ "$SELECTOR" = "$SEL_JOB" ]; then FN=recordJob; SIG="recordJob($RECEIPT_TUPLE,bytes)"; else FN=recordBatch; SIG="recordBatch($RECEIPT_TUPLE[],bytes)"; fi
cast decode-calldata --json "$SIG" "$INPUT" >"$WORK/calldata.json" || { echo "audit: cast decode-calldata failed" >&2; exit 2; }
py batch "$WORK/calldata.json" "$FN" "$JOB_ID" "$CHAIN_ID" "$CR" >"$WORK/batch.json" || { echo "audit: rebuilding the batch failed" >&2; exit 2; }
B() { jq -r "$1" "$WORK/batch.json"; }
COUNT=$(B .count)
BATCH_ONCHAIN=$(cast call "$CR" 'batchOf(bytes32)((address,uint64,uint32))' "$ROOT" --block "$HEAD" --json)
B_PROVIDER=$(jq -r '.[0][0]' <<<"$BATCH_ONCHAIN" | lc); B_BLOCK=$(jq -r '.[0][1]' <<<"$BATCH_ONCHAIN"); B_COUNT=$(jq -r '.[0][2]' <<<"$BATCH_ONCHAIN")
# The event's fields and the calldata's receipt must be the same receipt.
EVENT_MATCH=$(jq -n --slurpfile e "$WORK/event.json" --slurpfile b "$WORK/batch.json" --arg c "$EVENT_CONSUMER" '
  ($e[0]) as $e | ($b[0].receipt) as $r | $r != null and
  ($e[0]|ascii_downcase) == $r.outputsHash and $e[1] == $r.resultCid and $e[2] == $r.status and $e[3] == $r.runtime and
  ($e[4]|ascii_downcase) == $r.algorithmImageDigest and ($e[5]|ascii_downcase) == $r.algorithmCodeHash and
  ($e[6]|ascii_downcase) == $r.algorithmHash and $e[7] == $r.startedAt and $e[8] == $r.finishedAt and $c == $r.consumer')
if [ "$(B '.indices|length')" -ne 1 ]; then
  fail batchRecorded "the calldata of $TX holds job id $JOB_ID $(B '.indices|length') times, not once"
  mapfile -t R < <(rest batchRecorded); stop_after "the job is not once in its batch" "${R[@]}"
elif [ "$B_PROVIDER" = 0x0000000000000000000000000000000000000000 ]; then
  fail batchRecorded "batchOf($ROOT) is empty: ComputeReceipts recorded no such batch"
elif [ "$B_PROVIDER" != "$PROVIDER" ]; then
  fail batchRecorded "batch $ROOT was recorded for $B_PROVIDER, but the job id names provider $PROVIDER"
elif [ "$B_BLOCK" != "$BLOCK" ] || [ "$B_COUNT" != "$COUNT" ]; then
  fail batchRecorded "batchOf says $B_COUNT receipt(s) at block $B_BLOCK; the calldata holds $COUNT and the log is in block $BLOCK"
elif [ "$EVENT_MATCH" != true ]; then
  fail batchRecorded "the JobRecorded event's fields differ from the receipt in the calldata of $TX"
else
  pass batchRecorded "$FN in tx $TX: receipt $(( $(B .index) + 1 )) of $COUNT; batchOf($ROOT) = ($B_PROVIDER, block $B_BLOCK, $B_COUNT); the event's fields equal the calldata's"
fi
RECEIPT=$(jq -c .receipt "$WORK/batch.json")
[ "$RECEIPT" != null ] || { echo "audit: no receipt rebuilt from the calldata" >&2; exit 2; }
RJ() { jq -r "$1" <<<"$RECEIPT"; }

# ---------- merkleInclusion: the calldata's receipts rebuild the recorded root, and the job's leaf proves into it ----------
if [ "$(B .root)" != "$ROOT" ]; then
  fail merkleInclusion "the $COUNT receipt(s) in the calldata hash to root $(B .root), not the recorded $ROOT"
elif [ "$(B .proofRoot)" != "$ROOT" ]; then
  fail merkleInclusion "the job's leaf $(B .leaf) and its proof do not fold to $ROOT"
else
  pass merkleInclusion "leaf $(B .leaf) (receipt hash $(B .receiptHash)) proves into root $ROOT with $(B '.proof|length') sibling(s)"
fi

# ---------- providerSignature: the ReceiptBatch signature recovers (secp256k1 in python3) to the job id's provider ----------
ONCHAIN_RT=$(cast call "$CR" 'RECEIPT_TYPEHASH()(bytes32)' --block "$HEAD" | lc)
ONCHAIN_BT=$(cast call "$CR" 'BATCH_TYPEHASH()(bytes32)' --block "$HEAD" | lc)
ONCHAIN_DIGEST=$(cast call "$CR" 'hashBatch(bytes32,uint256)(bytes32)' "$ROOT" "$COUNT" --block "$HEAD" | lc)
SIGNER=$(B '.signer // empty')
if [ "$ONCHAIN_RT" != "$(B .receiptTypehash)" ] || [ "$ONCHAIN_BT" != "$(B .batchTypehash)" ]; then
  fail providerSignature "the contract's type hashes ($ONCHAIN_RT, $ONCHAIN_BT) are not those of the spec's type strings: not a receipts v2 contract"
elif [ "$ONCHAIN_DIGEST" != "$(B .digest)" ]; then
  fail providerSignature "the EIP-712 digest computed here $(B .digest) differs from the contract's hashBatch $ONCHAIN_DIGEST (domain mismatch)"
elif [ -z "$SIGNER" ]; then
  fail providerSignature "the signature $(B .signature) does not recover: $(B .signerError)"
elif [ "$SIGNER" != "$PROVIDER" ] || [ "$SIGNER" != "$B_PROVIDER" ]; then
  fail providerSignature "the ReceiptBatch signature recovers to $SIGNER; the job id names $PROVIDER, batchOf names $B_PROVIDER"
else
  pass providerSignature "ReceiptBatch(root $ROOT, count $COUNT) digest $(B .digest) is signed by $SIGNER (recovered here, low-s), the job id's provider"
fi

# ---------- providerRegistered ----------
REG_THEN=$(cast call "$REGISTRY" 'isRegistered(address)(bool)' "$PROVIDER" --block "$BLOCK")
REG_NOW=$(cast call "$REGISTRY" 'isRegistered(address)(bool)' "$PROVIDER" --block "$HEAD")
if [ "$REG_THEN" != true ]; then fail providerRegistered "$PROVIDER was not registered in ProviderRegistry at block $BLOCK, when the job was recorded"
elif [ "$REG_NOW" != true ]; then fail providerRegistered "$PROVIDER was registered at block $BLOCK but is not registered now (block $HEAD)"
else pass providerRegistered "$PROVIDER is registered at block $BLOCK (recording) and now (block $HEAD)"; fi
PROVIDER_URL=${PROVIDER_URL:-$(cast call "$REGISTRY" 'getProvider(address)((string,bytes32,string,uint64,uint64))' "$PROVIDER" --block "$HEAD" --json 2>/dev/null | jq -r '.[0][0] // empty')}

# ---------- ordersConsumed: each order exists on a dataset, bought compute from this provider for the consumer, spent once by this job ----------
N_ORDERS=$(RJ '.orderIds|length')
CONSUMER=$(RJ .consumer)
problems=(); ORDER_FACTS=()
for ((i = 0; i < N_ORDERS; i++)); do
  ORDER=$(RJ ".orderIds[$i]"); ASSET=$(RJ ".assetIds[$i]"); CHASH=$(RJ ".datasetContentHashes[$i]")
  KIND=$(cast call "$NFT" 'kindOf(uint256)(uint8)' "$ASSET" --block "$BLOCK" 2>/dev/null)
  DT=$(cast call "$NFT" 'datatokenOf(uint256)(address)' "$ASSET" --block "$BLOCK" 2>/dev/null | lc)
  if [ -z "$DT" ]; then problems+=("asset $ASSET does not exist"); continue; fi
  [ "$KIND" = 0 ] || problems+=("asset $ASSET is of kind $KIND, not a dataset (0)")
  INFO=$(cast call "$DT" 'orderInfo(bytes32)((address,uint64,uint16,bool))' "$ORDER" --block "$HEAD" --json)
  O_PROVIDER=$(jq -r '.[0][0]' <<<"$INFO" | lc); VALID_UNTIL=$(jq -r '.[0][1]' <<<"$INFO"); SERVICE=$(jq -r '.[0][2]' <<<"$INFO"); SPENT=$(jq -r '.[0][3]' <<<"$INFO")
  if [ "$VALID_UNTIL" = 0 ]; then problems+=("order $ORDER does not exist on asset $ASSET's datatoken $DT"); continue; fi
  [ "$O_PROVIDER" = "$PROVIDER" ] || problems+=("order $ORDER names provider $O_PROVIDER, not $PROVIDER")
  [ "$SPENT" = true ] || problems+=("order $ORDER is not marked spent")
  [ "$(cast call "$DT" 'isComputeService(uint256)(bool)' "$SERVICE" --block "$HEAD")" = true ] || problems+=("order $ORDER bought service $SERVICE, not a compute service")
  STARTED=$(logs "$DT" "$TOPIC_ORDER_STARTED" "$ORDER")
  if [ "$(jq length <<<"$STARTED")" -ne 1 ]; then problems+=("order $ORDER has $(jq length <<<"$STARTED") OrderStarted logs, not one"); continue; fi
  S_ASSET=$(cast to-dec "$(jq -r '.[0].topics[2]' <<<"$STARTED")"); S_CONSUMER=0x$(jq -r '.[0].topics[3]' <<<"$STARTED" | cut -c27- | lc)
  S_DATA=$(cast abi-decode --json 'f()(address,uint256,address,uint64)' "$(jq -r '.[0].data' <<<"$STARTED")")
  [ "$S_ASSET" = "$ASSET" ] || problems+=("order $ORDER was started for asset $S_ASSET, not $ASSET")
  [ "$S_CONSUMER" = "$CONSUMER" ] || problems+=("order $ORDER was bought for consumer $S_CONSUMER, the receipt names $CONSUMER")
  [ "$(jq -r '.[1]' <<<"$S_DATA")" = "$SERVICE" ] && [ "$(jq -r '.[2]' <<<"$S_DATA" | lc)" = "$O_PROVIDER" ] && [ "$(jq -r '.[3]' <<<"$S_DATA")" = "$VALID_UNTIL" ] || problems+=("the OrderStarted log of $ORDER disagrees with orderInfo")
  ORDER_TIME=$(cast block "$(cast to-dec "$(jq -r '.[0].blockNumber' <<<"$STARTED")")" --field timestamp)
  CONSUMED=$(logs "$CR" "$TOPIC_ORDER_CONSUMED" "$ORDER")
  if [ "$(jq length <<<"$CONSUMED")" -ne 1 ]; then problems+=("order $ORDER has $(jq length <<<"$CONSUMED") OrderConsumed logs, not one")
  else
    [ "$(jq -r '.[0].topics[2]' <<<"$CONSUMED" | lc)" = "$JOB_ID" ] || problems+=("order $ORDER was consumed by job $(jq -r '.[0].topics[2]' <<<"$CONSUMED")")
    [ "$(cast to-dec "$(jq -r '.[0].topics[3]' <<<"$CONSUMED")")" = "$ASSET" ] || problems+=("order $ORDER was consumed on another asset")
    [ "$(jq -r '.[0].data' <<<"$CONSUMED" | lc)" = "$CHASH" ] || problems+=("order $ORDER's OrderConsumed content hash differs from the receipt's")
  fi
  ORDER_FACTS+=("$ASSET $ORDER $SERVICE $VALID_UNTIL $ORDER_TIME")
done
if [ ${#problems[@]} -gt 0 ]; then fail ordersConsumed "$(IFS=';'; echo "${problems[*]}")"
else pass ordersConsumed "$N_ORDERS order(s) on dataset(s) $(RJ '.assetIds|join(",")'): compute service, provider $PROVIDER, consumer $CONSUMER, spent once by this job with the receipt's content hashes"; fi

# ---------- jobTime: the job ran within each order's life, by the chain's clock (±15 min) ----------
CLOCK_TOLERANCE=900; RECORD_WINDOW=604800
REC_TIME=$(cast block "$BLOCK" --field timestamp)
STARTED_AT=$(RJ .startedAt); FINISHED_AT=$(RJ .finishedAt)
problems=()
[ "$STARTED_AT" -le "$FINISHED_AT" ] || problems+=("startedAt $STARTED_AT is after finishedAt $FINISHED_AT")
[ "$FINISHED_AT" -le $((REC_TIME + CLOCK_TOLERANCE)) ] || problems+=("finishedAt $FINISHED_AT is more than 15 min after the recording block's time $REC_TIME")
for f in "${ORDER_FACTS[@]}"; do
  read -r ASSET ORDER SERVICE VALID_UNTIL ORDER_TIME <<<"$f"
  [ $((STARTED_AT + CLOCK_TOLERANCE)) -ge "$ORDER_TIME" ] || problems+=("the job started at $STARTED_AT, more than 15 min before order $ORDER existed (block time $ORDER_TIME)")
  [ "$STARTED_AT" -le "$VALID_UNTIL" ] || problems+=("the job started at $STARTED_AT, after order $ORDER expired at $VALID_UNTIL")
  [ "$REC_TIME" -le $((VALID_UNTIL + RECORD_WINDOW)) ] || problems+=("recorded at $REC_TIME, more than 7 days after order $ORDER expired at $VALID_UNTIL")
done
if [ ${#problems[@]} -gt 0 ]; then fail jobTime "$(IFS=';'; echo "${problems[*]}")"
elif [ ${#ORDER_FACTS[@]} -ne "$N_ORDERS" ]; then fail jobTime "not every order could be read (see ordersConsumed)"
else pass jobTime "started $STARTED_AT, finished $FINISHED_AT, recorded at block time $REC_TIME: within every order's life [block time − 15 min, validUntil] and its 7-day record window"; fi

# ---------- documentHash: each dataset's document anchored at job time, fetched as raw blocks, hashes to its anchor ----------
problems=(); unchanged=()
if [ -z "$PROVIDER_URL" ]; then problems+=("no PROVIDER_URL given and none registered for $PROVIDER")
else
  for ((i = 0; i < N_ORDERS; i++)); do
    ASSET=$(RJ ".assetIds[$i]"); T=$(topic_uint "$ASSET")
    logs "$FACTORY" "$TOPIC_ASSET_PUBLISHED" "$T" >"$WORK/published-$ASSET.json"
    logs "$NFT" "$TOPIC_METADATA_UPDATED" "$T" >"$WORK/updated-$ASSET.json"
    py anchor "$WORK/published-$ASSET.json" "$WORK/updated-$ASSET.json" "$BLOCK" "$LOG_INDEX" >"$WORK/anchor-$ASSET.json"
    CID=$(jq -r '.atJob.cid // empty' "$WORK/anchor-$ASSET.json"); HASH=$(jq -r '.atJob.hash // empty' "$WORK/anchor-$ASSET.json" | lc)
    if [ -z "$CID" ]; then problems+=("asset $ASSET: no document was anchored before block $BLOCK (from block $FROM)"); continue; fi
    if ! GOT=$(py fetch "$PROVIDER_URL" "$CID" "$WORK/doc-$ASSET.json" $((1024 * 1024))); then problems+=("asset $ASSET: $CID from $PROVIDER_URL: $GOT"); rm -f "$WORK/doc-$ASSET.json"; continue; fi
    SHA=0x$(sha256sum "$WORK/doc-$ASSET.json" | cut -c1-64)
    if [ "$SHA" != "$HASH" ]; then problems+=("asset $ASSET: the document fetched for $CID hashes to $SHA, not to the anchored metadataHash $HASH"); mv "$WORK/doc-$ASSET.json" "$WORK/bad-doc-$ASSET.json"; continue; fi
    if ! WHY=$(py canonical "$WORK/doc-$ASSET.json"); then problems+=("asset $ASSET: document $CID is $WHY"); mv "$WORK/doc-$ASSET.json" "$WORK/bad-doc-$ASSET.json"; continue; fi
    if [ "$(jq -r '[.version, .kind]|join(" ")' "$WORK/doc-$ASSET.json")" != "2 dataset" ]; then problems+=("asset $ASSET: document $CID is not a version-2 dataset document"); mv "$WORK/doc-$ASSET.json" "$WORK/bad-doc-$ASSET.json"; continue; fi
  done
fi
if [ ${#problems[@]} -gt 0 ]; then fail documentHash "$(IFS=';'; echo "${problems[*]}")"
else pass documentHash "$N_ORDERS document(s) anchored at job time fetched from $PROVIDER_URL/ipfs, each block checked against its CID, sha256 equal to the anchored metadataHash, canonical JSON"; fi

# ---------- datasetContentHashes ----------
problems=(); evaluated=0
for ((i = 0; i < N_ORDERS; i++)); do
  ASSET=$(RJ ".assetIds[$i]"); DOC=$WORK/doc-$ASSET.json
  [ -f "$DOC" ] || { problems+=("asset $ASSET: no verified document (see documentHash)"); continue; }
  evaluated=$((evaluated + 1))
  IN_DOC=$(jq -r .content.contentHash "$DOC" | lc); IN_RECEIPT=$(RJ ".datasetContentHashes[$i]")
  [ "$IN_DOC" = "$IN_RECEIPT" ] || problems+=("asset $ASSET: the receipt's content hash $IN_RECEIPT is not the document's $IN_DOC")
done
if [ ${#problems[@]} -gt 0 ]; then fail datasetContentHashes "$(IFS=';'; echo "${problems[*]}")"
else pass datasetContentHashes "$evaluated content hash(es) equal content.contentHash of the job-time documents"; fi

# ---------- algorithmAllowed: each order bought a compute service, and the policy approves the receipt's algorithmHash ----------
IMAGE_ID=sha256:$(RJ .algorithmImageDigest | cut -c3-); CODE_HASH=$(RJ .algorithmCodeHash); ALGO_HASH=$(RJ .algorithmHash)
RUNTIME=$(RJ .runtime); STATUS=$(RJ .status)
problems=(); any=()
for f in "${ORDER_FACTS[@]}"; do
  read -r ASSET ORDER SERVICE VALID_UNTIL ORDER_TIME <<<"$f"; DOC=$WORK/doc-$ASSET.json
  [ -f "$DOC" ] || { problems+=("asset $ASSET: no verified document (see documentHash)"); continue; }
  TYPE=$(jq -r --argjson s "$SERVICE" '.services[] | select(.id == $s) | .type' "$DOC")
  [ "$TYPE" = compute ] || { problems+=("asset $ASSET: order $ORDER is for service $SERVICE (${TYPE:-unknown}), not a compute service of the document"); continue; }
  if [ "$(jq -r '.computePolicy.requireRuntime // empty' "$DOC")" = runsc ] && ! { [ "$RUNTIME" = 2 ] || { [ "$RUNTIME" = 0 ] && [ "$STATUS" = 6 ]; }; }; then
    problems+=("asset $ASSET: the policy requires gVisor (runsc), the receipt's runtime is $RUNTIME"); continue
  fi
  if [ "$(jq -r '.computePolicy.allowAnyAlgorithm // false' "$DOC")" = true ]; then
    if jq -e --arg i "$IMAGE_ID" '.computePolicy.allowedImages | map(ascii_downcase) | index($i)' "$DOC" >/dev/null; then any+=("$ASSET")
    else problems+=("asset $ASSET: the policy allows any algorithm, but image $IMAGE_ID is not in its allowedImages"); fi
    continue
  fi
  APPROVED=$(jq -c --arg h "$ALGO_HASH" '[.computePolicy.allowedAlgorithms[]? | select((.hash|ascii_downcase) == $h)][0] // empty' "$DOC")
  [ -n "$APPROVED" ] || { problems+=("asset $ASSET: algorithm $ALGO_HASH is not in the allowedAlgorithms of its job-time document"); continue; }
  if [ "$(jq -r 'has("spec")' <<<"$APPROVED")" = true ]; then
    jq -c .spec <<<"$APPROVED" >"$WORK/approved.json"
    SPEC_HASH=$(py algorithm-hash "$WORK/approved.json" | jq -r .hash)
    [ "$SPEC_HASH" = "$ALGO_HASH" ] || { problems+=("asset $ASSET: the approved spec listed under $ALGO_HASH hashes to $SPEC_HASH"); continue; }
    [ "$(jq -r .spec.image <<<"$APPROVED")" = "$IMAGE_ID" ] && [ "$(jq -r .spec.codeHash <<<"$APPROVED" | lc)" = "$CODE_HASH" ] ||
      problems+=("asset $ASSET: the receipt's image $IMAGE_ID or code hash $CODE_HASH is not that of the approved spec $ALGO_HASH")
  fi
done
if [ ${#problems[@]} -gt 0 ]; then fail algorithmAllowed "$(IFS=';'; echo "${problems[*]}")"
elif [ ${#any[@]} -gt 0 ]; then pass algorithmAllowed "ANY ALGORITHM: dataset(s) ${any[*]} allow any code on image $IMAGE_ID; algorithm $ALGO_HASH ran without its owner approving it"
else pass algorithmAllowed "algorithm $ALGO_HASH (image $IMAGE_ID, code $CODE_HASH) is approved by the compute policy of every dataset at job time"; fi

# ---------- documentUnchanged: the document anchored now is the one anchored at job time ----------
problems=()
for ((i = 0; i < N_ORDERS; i++)); do
  ASSET=$(RJ ".assetIds[$i]"); A=$WORK/anchor-$ASSET.json
  [ -f "$A" ] && [ -n "$(jq -r '.atJob.cid // empty' "$A")" ] || { problems+=("asset $ASSET: no job-time anchor (see documentHash)"); continue; }
  NOW_CID=$(cast call "$NFT" 'cidOf(uint256)(string)' "$ASSET" --block "$HEAD" --json | jq -r '.[0]')
  NOW_HASH=$(cast call "$NFT" 'metadataHash(uint256)(bytes32)' "$ASSET" --block "$HEAD" | lc)
  if [ "$NOW_CID" != "$(jq -r .atJob.cid "$A")" ] || [ "$NOW_HASH" != "$(jq -r .atJob.hash "$A" | lc)" ]; then
    problems+=("asset $ASSET: the document changed after the job$(jq -r 'if .changedAt then ", at block \(.changedAt.block) (tx \(.changedAt.tx)), to \(.changedAt.cid)" else "" end' "$A")")
  fi
done
if [ ${#problems[@]} -gt 0 ]; then fail documentUnchanged "$(IFS=';'; echo "${problems[*]}")"
else pass documentUnchanged "the documents anchored now are those anchored when the job was recorded"; fi

# ---------- algorithmSpec: the given container spec is what ran ----------
if [ -n "${ALGORITHM_SPEC:-}" ]; then
  if ! SPEC=$(py algorithm-hash "$ALGORITHM_SPEC" 2>&1); then fail algorithmSpec "$ALGORITHM_SPEC: $SPEC"
  elif [ "$(jq -r .hash <<<"$SPEC")" != "$ALGO_HASH" ]; then fail algorithmSpec "$ALGORITHM_SPEC hashes to $(jq -r .hash <<<"$SPEC"), the receipt records $ALGO_HASH"
  elif [ "$(jq -r .image <<<"$SPEC")" != "$IMAGE_ID" ] || [ "$(jq -r .codeHash <<<"$SPEC" | lc)" != "$CODE_HASH" ]; then fail algorithmSpec "the spec's image or code hash differs from the receipt's"
  else pass algorithmSpec "$ALGORITHM_SPEC hashes to the receipt's algorithmHash $ALGO_HASH"; fi
fi

# ---------- outputsHash: the result files hash to the receipt's outputsHash ----------
if [ -n "$RESULTS" ]; then
  OUT_HASH=$(RJ .outputsHash)
  if [ "$STATUS" != 0 ]; then fail outputsHash "the job ended with status $STATUS: its receipt vouches for no outputs"
  else
    if [ -d "$RESULTS" ]; then L=$(py listing dir "$RESULTS"); else L=$(py listing bundle "$RESULTS"); fi
    if [ -n "$(jq -r '.error // empty' <<<"$L")" ]; then fail outputsHash "$RESULTS: $(jq -r .error <<<"$L")"
    elif [ "$(jq -r .hash <<<"$L")" != "$OUT_HASH" ]; then fail outputsHash "the $(jq -r .files <<<"$L") result file(s) in $RESULTS hash to $(jq -r .hash <<<"$L"), the receipt says $OUT_HASH"
    else pass outputsHash "the $(jq -r .files <<<"$L") result file(s) in $RESULTS hash to the receipt's outputsHash $OUT_HASH"; fi
  fi
fi

# ---------- resultAvailable: the encrypted result the receipt names is served and matches its CID ----------
if [ "${FETCH_RESULT:-}" = 1 ]; then
  RESULT_CID=$(RJ .resultCid)
  if [ -z "$PROVIDER_URL" ]; then fail resultAvailable "no provider URL to fetch $RESULT_CID from"
  elif GOT=$(py fetch "$PROVIDER_URL" "$RESULT_CID" "$WORK/result.bin"); then pass resultAvailable "$RESULT_CID: $GOT from $PROVIDER_URL, every block checked against its CID (ciphertext: only the consumer's key opens it)"
  else fail resultAvailable "$RESULT_CID from $PROVIDER_URL: $GOT"; fi
fi

# ---------- lineage: every model citing this job is a valid derivation of it ----------
CITING=$(logs "$NFT" "$TOPIC_LINEAGE" "" "$JOB_ID")
N_MODELS=$(jq length <<<"$CITING")
problems=(); models=()
for ((m = 0; m < N_MODELS; m++)); do
  MODEL=$(cast to-dec "$(jq -r ".[$m].topics[1]" <<<"$CITING")"); models+=("$MODEL")
  [ "$(jq -r ".[$m].data" <<<"$CITING" | lc)" = "$ROOT" ] || problems+=("model $MODEL cites the job under another batch root")
  [ "$STATUS" = 0 ] || problems+=("model $MODEL cites a job that did not succeed (status $STATUS)")
  M_CID=$(cast call "$NFT" 'cidOf(uint256)(string)' "$MODEL" --block "$HEAD" --json | jq -r '.[0]')
  M_HASH=$(cast call "$NFT" 'metadataHash(uint256)(bytes32)' "$MODEL" --block "$HEAD" | lc)
  if [ -z "$PROVIDER_URL" ] || ! GOT=$(py fetch "$PROVIDER_URL" "$M_CID" "$WORK/model-$MODEL.json" $((1024 * 1024))); then problems+=("model $MODEL: document $M_CID could not be fetched: ${GOT:-no provider URL}"); continue; fi
  [ "0x$(sha256sum "$WORK/model-$MODEL.json" | cut -c1-64)" = "$M_HASH" ] || { problems+=("model $MODEL: document $M_CID does not hash to its metadataHash $M_HASH"); continue; }
  D=$WORK/model-$MODEL.json
  jq -e --arg j "$JOB_ID" '.kind == "model" and ((.lineage.parentJobIds // []) | map(ascii_downcase) | index($j)) != null' "$D" >/dev/null || { problems+=("model $MODEL: its document does not list the job in lineage.parentJobIds"); continue; }
  PARENT=$(jq -c --arg j "$JOB_ID" '[.lineage.parents[]? | select((.jobId|ascii_downcase) == $j)][0] // empty' "$D")
  if [ -n "$PARENT" ]; then
    [ "$(jq -r .outputsHash <<<"$PARENT" | lc)" = "$(RJ .outputsHash)" ] || problems+=("model $MODEL: its document records outputsHash $(jq -r .outputsHash <<<"$PARENT"), the receipt $(RJ .outputsHash)")
    [ "$(py listing-of "$(jq -c .outputs <<<"$PARENT")")" = "$(RJ .outputsHash)" ] || problems+=("model $MODEL: its document's output listing does not hash to the receipt's outputsHash")
    jq -e '(.outputs | map(.path)) as $p | all(.modelFiles[]; . as $f | $p | index($f) != null)' <<<"$PARENT" >/dev/null || problems+=("model $MODEL: modelFiles names a path not in the job's outputs")
  fi
done
if [ ${#problems[@]} -gt 0 ]; then fail lineage "$(IFS=';'; echo "${problems[*]}")"
elif [ "$N_MODELS" -eq 0 ]; then pass lineage "no model cites this job (LineageRecorded by job id, blocks $FROM..$HEAD)"
else pass lineage "model(s) ${models[*]} cite this job from batch $ROOT; each document (hash-checked) lists it, with its outputsHash and output listing"; fi

finish
