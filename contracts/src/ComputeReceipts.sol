// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IComputeReceipts} from "./interfaces/IComputeReceipts.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";

/// @title ComputeReceipts
/// @notice Records provider-signed batches of job receipts, at most one receipt per order. See {IComputeReceipts}.
/// @dev Storage: one slot per batch. Everything else an auditor needs is emitted and sits in calldata; orders are
/// marked spent in their own slot on the datatoken. Replay protection: the EIP-712 domain binds chain and contract,
/// every receipt binds its order ids, and each order can be spent once, so a receipt cannot move to another order
/// or chain, and no batch can be recorded twice.
contract ComputeReceipts is IComputeReceipts, EIP712 {
    /// @inheritdoc IComputeReceipts
    uint256 public constant MAX_DATASETS = 8;

    /// @inheritdoc IComputeReceipts
    uint256 public constant MAX_BATCH = 256;

    /// @inheritdoc IComputeReceipts
    uint256 public constant RECORD_WINDOW = 7 days;

    /// @inheritdoc IComputeReceipts
    uint256 public constant CLOCK_TOLERANCE = 15 minutes;

    /// @inheritdoc IComputeReceipts
    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 jobId,address consumer,bytes32[] orderIds,uint256[] assetIds,bytes32[] datasetContentHashes,"
        "bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,bytes32 algorithmHash,bytes32 outputsHash,"
        "string resultCid,uint8 status,uint8 runtime,uint64 startedAt,uint64 finishedAt)"
    );

    /// @inheritdoc IComputeReceipts
    bytes32 public constant BATCH_TYPEHASH = keccak256("ReceiptBatch(bytes32 root,uint256 count)");

    /// @inheritdoc IComputeReceipts
    uint256 public immutable deploymentBlock;

    IProviderRegistry private immutable _registry;
    IDataNFT private immutable _dataNFT;

    mapping(bytes32 root => Batch) private _batches;

    /// @dev The last dataset a call looked up (its datatoken, checked to be a dataset): a batch of jobs on one dataset
    /// asks the DataNFT once.
    struct DatasetCache {
        uint256 assetId;
        address datatoken;
    }

    /// @param registry_ The ProviderRegistry signers must be registered in.
    /// @param dataNFT_ The DataNFT collection that maps assets to datatokens.
    constructor(address registry_, address dataNFT_) EIP712("Cove ComputeReceipts", "2") {
        _registry = IProviderRegistry(registry_);
        _dataNFT = IDataNFT(dataNFT_);
        deploymentBlock = block.number;
    }

    /// @inheritdoc IComputeReceipts
    function recordJob(Receipt calldata receipt, bytes calldata signature) external {
        bytes32 root = leafOf(receipt);
        address provider = _storeBatch(root, 1, signature);
        DatasetCache memory cache;
        _record(receipt, root, provider, cache);
    }

    /// @inheritdoc IComputeReceipts
    function recordBatch(Receipt[] calldata receipts, bytes calldata signature) external {
        uint256 n = receipts.length;
        if (n == 0 || n > MAX_BATCH) revert ComputeReceiptsInvalidBatchSize(n);
        bytes32[] memory level = new bytes32[](n);
        // Each iteration's scratch memory (encodings, return data) is dead once it ends: the free memory pointer is
        // put back, so memory does not grow (quadratically priced) with the batch.
        uint256 freeMemory = _freeMemoryPointer();
        for (uint256 i; i < n; ++i) {
            level[i] = leafOf(receipts[i]);
            _resetFreeMemoryPointer(freeMemory);
        }
        bytes32 root = _merkleRoot(level);
        address provider = _storeBatch(root, n, signature);
        DatasetCache memory cache;
        freeMemory = _freeMemoryPointer();
        // Bounded by MAX_BATCH.
        for (uint256 i; i < n; ++i) {
            _record(receipts[i], root, provider, cache);
            _resetFreeMemoryPointer(freeMemory);
        }
    }

    /// @inheritdoc IComputeReceipts
    function batchOf(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc IComputeReceipts
    function isRecorded(JobProof calldata p) external view returns (bool) {
        if (_batches[p.root].provider == address(0)) return false;
        bytes32 leaf = leafHash(p.receiptHash, p.jobId, p.consumer, p.status);
        return MerkleProof.verifyCalldata(p.proof, p.root, leaf);
    }

    /// @inheritdoc IComputeReceipts
    function providerRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IComputeReceipts
    function dataNFT() external view returns (address) {
        return address(_dataNFT);
    }

    /// @inheritdoc IComputeReceipts
    function hashBatch(bytes32 root, uint256 count) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BATCH_TYPEHASH, root, count)));
    }

    /// @inheritdoc IComputeReceipts
    function leafOf(Receipt calldata receipt) public pure returns (bytes32) {
        return leafHash(hashReceipt(receipt), receipt.jobId, receipt.consumer, receipt.status);
    }

    /// @inheritdoc IComputeReceipts
    function leafHash(bytes32 receiptHash, bytes32 jobId, address consumer, uint8 status)
        public
        pure
        returns (bytes32)
    {
        // 128 bytes of preimage: a leaf can never be mistaken for an inner node (64 bytes).
        return keccak256(abi.encode(receiptHash, jobId, consumer, status));
    }

    /// @inheritdoc IComputeReceipts
    function hashReceipt(Receipt calldata receipt) public pure returns (bytes32 structHash) {
        // The EIP-712 struct encoding (15 words) written in place at the free memory pointer, without allocating:
        // every field is read through Solidity's (validating) calldata accessors first.
        bytes32 orderIdsHash = _hashCalldata(receipt.orderIds);
        bytes32 assetIdsHash = _hashCalldata(receipt.assetIds);
        bytes32 contentHashesHash = _hashCalldata(receipt.datasetContentHashes);
        bytes32 cidHash = keccak256(bytes(receipt.resultCid));
        uint256 p = _freeMemoryPointer();
        _store3(p, RECEIPT_TYPEHASH, receipt.jobId, bytes32(uint256(uint160(receipt.consumer))));
        _store3(p + 0x60, orderIdsHash, assetIdsHash, contentHashesHash);
        _store3(p + 0xc0, receipt.algorithmImageDigest, receipt.algorithmCodeHash, receipt.algorithmHash);
        _store3(p + 0x120, receipt.outputsHash, cidHash, bytes32(uint256(receipt.status)));
        _store3(
            p + 0x180,
            bytes32(uint256(receipt.runtime)),
            bytes32(uint256(receipt.startedAt)),
            bytes32(uint256(receipt.finishedAt))
        );
        assembly ("memory-safe") {
            structHash := keccak256(p, 0x1e0)
        }
    }

    /// @dev Checks the batch signature and signer, then stores the batch; returns the signer.
    function _storeBatch(bytes32 root, uint256 count, bytes calldata signature) private returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecoverCalldata(hashBatch(root, count), signature);
        if (err != ECDSA.RecoverError.NoError) revert ComputeReceiptsInvalidSignature();
        if (!_registry.isRegistered(signer)) revert ComputeReceiptsUnregisteredProvider(signer);
        Batch storage batch = _batches[root];
        // Unreachable for an honest root (its orders are spent), kept as a guard: a batch is never overwritten.
        if (batch.provider != address(0)) revert ComputeReceiptsBatchExists(root);
        // count <= MAX_BATCH and block numbers stay far below 2**64.
        // forge-lint: disable-next-line(unsafe-typecast)
        _batches[root] = Batch({provider: signer, blockNumber: uint64(block.number), count: uint32(count)});
        emit BatchRecorded(root, signer, count);
    }

    /// @dev Checks one receipt against the chain, spends its orders and emits it.
    function _record(Receipt calldata r, bytes32 root, address signer, DatasetCache memory cache) private {
        bytes32 jobId = r.jobId;
        if (jobId == bytes32(0)) revert ComputeReceiptsInvalidJobId();
        // The id commits to its provider, so only the signer can use it: no one can squat another provider's ids.
        // forge-lint: disable-next-line(unsafe-typecast)
        if (address(bytes20(jobId)) != signer) revert ComputeReceiptsJobIdNotSigners(jobId, signer);
        if (r.consumer == address(0)) revert ComputeReceiptsInvalidConsumer();
        uint256 n = r.orderIds.length;
        if (n == 0 || n > MAX_DATASETS || r.assetIds.length != n || r.datasetContentHashes.length != n) {
            revert ComputeReceiptsInvalidDatasets(n, r.assetIds.length, r.datasetContentHashes.length);
        }
        if (r.status > uint8(type(JobStatus).max)) revert ComputeReceiptsInvalidStatus(r.status);
        if (r.runtime > uint8(type(JobRuntime).max)) revert ComputeReceiptsInvalidRuntime(r.runtime);
        if (r.finishedAt < r.startedAt) revert ComputeReceiptsInvalidTimes(r.startedAt, r.finishedAt);
        if (r.algorithmHash == bytes32(0)) revert ComputeReceiptsInvalidAlgorithmHash();
        // The chain's own clock: no receipt of a job that has not finished yet.
        if (r.finishedAt > block.timestamp + CLOCK_TOLERANCE) {
            revert ComputeReceiptsFinishedInFuture(r.finishedAt, block.timestamp);
        }
        // Bounded by MAX_DATASETS.
        for (uint256 i; i < n; ++i) {
            _spendOrder(r.orderIds[i], r.assetIds[i], signer, r.startedAt, cache);
            emit OrderConsumed(r.orderIds[i], jobId, r.assetIds[i], r.datasetContentHashes[i]);
        }
        _emitJob(r, root);
    }

    /// @dev Emits a receipt's fields (its own frame keeps `_record`'s stack shallow).
    function _emitJob(Receipt calldata r, bytes32 root) private {
        emit JobRecorded(
            r.jobId,
            root,
            r.consumer,
            r.outputsHash,
            r.resultCid,
            r.status,
            r.runtime,
            r.algorithmImageDigest,
            r.algorithmCodeHash,
            r.algorithmHash,
            r.startedAt,
            r.finishedAt
        );
    }

    /// @dev Spends `orderId` on the asset's datatoken and checks it: the asset is a dataset, the order exists, was
    /// unspent, is for a compute service, names `signer`, and the job started within the order's life (not before
    /// its block time, not after its expiry; the start within CLOCK_TOLERANCE) and is recorded within RECORD_WINDOW of
    /// the expiry by block time. Any failure reverts the spend with the rest of the transaction.
    function _spendOrder(bytes32 orderId, uint256 assetId, address signer, uint64 startedAt, DatasetCache memory cache)
        private
    {
        address datatoken = cache.datatoken;
        // A known asset always has a datatoken, so a zero cache never matches.
        if (datatoken == address(0) || assetId != cache.assetId) {
            IDataNFT.AssetKind kind;
            (datatoken, kind) = _dataNFT.datatokenAndKindOf(assetId);
            if (kind != IDataNFT.AssetKind.Dataset) revert ComputeReceiptsNotADataset(assetId, uint8(kind));
            cache.assetId = assetId;
            cache.datatoken = datatoken;
        }
        (IDatatoken.OrderInfo memory order, uint256 timeout, bool compute) = IDatatoken(datatoken).spendOrder(orderId);
        uint64 validUntil = order.validUntil;
        if (validUntil == 0) revert ComputeReceiptsUnknownOrder(orderId, assetId);
        if (order.spent) revert ComputeReceiptsOrderAlreadyUsed(orderId);
        if (!compute) revert ComputeReceiptsNotAComputeOrder(orderId, order.serviceId);
        if (order.provider != signer) revert ComputeReceiptsProviderMismatch(orderId, order.provider, signer);
        if (startedAt > validUntil) revert ComputeReceiptsOrderExpired(orderId, validUntil, startedAt);
        // The order's block time: validUntil is that time plus the service's timeout, immutable in the clone.
        if (uint256(startedAt) + CLOCK_TOLERANCE < uint256(validUntil) - timeout) {
            // forge-lint: disable-next-line(unsafe-typecast)
            revert ComputeReceiptsJobBeforeOrder(orderId, validUntil - uint64(timeout), startedAt);
        }
        if (block.timestamp > uint256(validUntil) + RECORD_WINDOW) {
            revert ComputeReceiptsRecordedTooLate(orderId, validUntil, block.timestamp);
        }
    }

    /// @dev keccak256 of the packed words of a calldata array (`keccak256(abi.encodePacked(words))`), hashed in
    /// scratch memory past the free memory pointer.
    function _hashCalldata(bytes32[] calldata words) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let size := shl(5, words.length)
            calldatacopy(p, words.offset, size)
            h := keccak256(p, size)
        }
    }

    /// @dev As `_hashCalldata`, for a uint256 array.
    function _hashCalldata(uint256[] calldata words) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let size := shl(5, words.length)
            calldatacopy(p, words.offset, size)
            h := keccak256(p, size)
        }
    }

    /// @dev Writes three words at `p` (scratch memory past the free memory pointer; nothing is allocated).
    function _store3(uint256 p, bytes32 a, bytes32 b, bytes32 c) private pure {
        assembly ("memory-safe") {
            mstore(p, a)
            mstore(add(p, 0x20), b)
            mstore(add(p, 0x40), c)
        }
    }

    function _freeMemoryPointer() private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
        }
    }

    /// @dev Frees the memory allocated since `p` was read; nothing allocated since may be used afterwards.
    function _resetFreeMemoryPointer(uint256 p) private pure {
        assembly ("memory-safe") {
            mstore(0x40, p)
        }
    }

    /// @dev The Merkle root of `level` (see {IComputeReceipts}): sorted-pair keccak, an odd last node moves up.
    /// Overwrites `level` in place.
    function _merkleRoot(bytes32[] memory level) private pure returns (bytes32) {
        uint256 n = level.length;
        while (n > 1) {
            uint256 half;
            for (uint256 i; i < n; i += 2) {
                level[half++] = i + 1 < n ? Hashes.commutativeKeccak256(level[i], level[i + 1]) : level[i];
            }
            n = half;
        }
        return level[0];
    }
}
