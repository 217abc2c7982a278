// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IComputeReceipts} from "./interfaces/IComputeReceipts.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";

/// @title ComputeReceipts
/// @notice Stores provider-signed job receipts, at most one per order. See {IComputeReceipts}.
/// @dev Replay protection: the EIP-712 domain binds chain and contract, the struct binds every order id, and each
/// order id can be spent by one receipt only; a receipt therefore cannot be moved to another order or chain.
contract ComputeReceipts is IComputeReceipts, EIP712 {
    /// @inheritdoc IComputeReceipts
    uint256 public constant MAX_DATASETS = 8;

    /// @inheritdoc IComputeReceipts
    uint256 public constant RECORD_WINDOW = 7 days;

    /// @inheritdoc IComputeReceipts
    uint256 public constant CLOCK_TOLERANCE = 15 minutes;

    /// @inheritdoc IComputeReceipts
    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 jobId,bytes32[] orderIds,uint256[] assetIds,bytes32[] datasetContentHashes,"
        "bytes32 algorithmImageDigest,bytes32 algorithmCodeHash,bytes32 algorithmHash,bytes32 outputsHash,"
        "string resultCid,uint8 status,uint8 runtime,uint64 startedAt,uint64 finishedAt)"
    );

    /// @dev The stored form: the signer, status, runtime and start time share one slot.
    struct StoredReceipt {
        address provider;
        uint8 status;
        uint8 runtime;
        uint64 startedAt;
        uint64 finishedAt;
        bytes32 algorithmImageDigest;
        bytes32 algorithmCodeHash;
        bytes32 algorithmHash;
        bytes32 outputsHash;
        string resultCid;
        bytes32[] orderIds;
        uint256[] assetIds;
        bytes32[] datasetContentHashes;
    }

    IProviderRegistry private immutable _registry;
    IDataNFT private immutable _dataNFT;

    mapping(bytes32 jobId => StoredReceipt) private _receipts;
    mapping(bytes32 orderId => bytes32 jobId) private _jobOfOrder;

    /// @param registry_ The ProviderRegistry signers must be registered in.
    /// @param dataNFT_ The DataNFT collection that maps assets to datatokens.
    constructor(address registry_, address dataNFT_) EIP712("Cove ComputeReceipts", "1") {
        _registry = IProviderRegistry(registry_);
        _dataNFT = IDataNFT(dataNFT_);
    }

    /// @inheritdoc IComputeReceipts
    function recordJob(Receipt calldata receipt, bytes calldata signature) external {
        bytes32 jobId = receipt.jobId;
        if (jobId == bytes32(0)) revert ComputeReceiptsInvalidJobId();
        if (_receipts[jobId].provider != address(0)) revert ComputeReceiptsJobExists(jobId);
        uint256 n = receipt.orderIds.length;
        if (n == 0 || n > MAX_DATASETS || receipt.assetIds.length != n || receipt.datasetContentHashes.length != n) {
            revert ComputeReceiptsInvalidDatasets(n, receipt.assetIds.length, receipt.datasetContentHashes.length);
        }
        if (receipt.status > uint8(type(JobStatus).max)) revert ComputeReceiptsInvalidStatus(receipt.status);
        if (receipt.runtime > uint8(type(JobRuntime).max)) revert ComputeReceiptsInvalidRuntime(receipt.runtime);
        if (receipt.finishedAt < receipt.startedAt) {
            revert ComputeReceiptsInvalidTimes(receipt.startedAt, receipt.finishedAt);
        }
        if (receipt.algorithmHash == bytes32(0)) revert ComputeReceiptsInvalidAlgorithmHash();
        // The chain's own clock: no receipt of a job that has not finished yet.
        if (receipt.finishedAt > block.timestamp + CLOCK_TOLERANCE) {
            revert ComputeReceiptsFinishedInFuture(receipt.finishedAt, block.timestamp);
        }

        address signer;
        // Scoped, like `stored` below, to keep the stack shallow enough for the event.
        {
            ECDSA.RecoverError err;
            (signer, err,) = ECDSA.tryRecover(hashReceipt(receipt), signature);
            if (err != ECDSA.RecoverError.NoError) revert ComputeReceiptsInvalidSignature();
        }
        if (!_registry.isRegistered(signer)) revert ComputeReceiptsUnregisteredProvider(signer);
        // The id commits to its provider, so only the signer can use it: no one can squat another provider's ids.
        if (address(bytes20(jobId)) != signer) revert ComputeReceiptsJobIdNotSigners(jobId, signer);

        // Bounded by MAX_DATASETS.
        for (uint256 i; i < n; ++i) {
            _consumeOrder(receipt.orderIds[i], receipt.assetIds[i], signer, receipt.startedAt, jobId);
        }

        {
            StoredReceipt storage stored = _receipts[jobId];
            stored.provider = signer;
            stored.status = receipt.status;
            stored.runtime = receipt.runtime;
            stored.startedAt = receipt.startedAt;
            stored.finishedAt = receipt.finishedAt;
            stored.algorithmImageDigest = receipt.algorithmImageDigest;
            stored.algorithmCodeHash = receipt.algorithmCodeHash;
            stored.algorithmHash = receipt.algorithmHash;
            stored.outputsHash = receipt.outputsHash;
            stored.resultCid = receipt.resultCid;
            stored.orderIds = receipt.orderIds;
            stored.assetIds = receipt.assetIds;
            stored.datasetContentHashes = receipt.datasetContentHashes;
        }

        emit JobRecorded(
            jobId,
            signer,
            receipt.outputsHash,
            receipt.resultCid,
            receipt.status,
            receipt.runtime,
            receipt.algorithmImageDigest,
            receipt.algorithmCodeHash,
            receipt.algorithmHash
        );
        for (uint256 i; i < n; ++i) {
            emit OrderConsumed(receipt.orderIds[i], jobId, receipt.assetIds[i], receipt.datasetContentHashes[i]);
        }
    }

    /// @inheritdoc IComputeReceipts
    function getReceipt(bytes32 jobId) external view returns (Receipt memory receipt) {
        StoredReceipt storage stored = _receipts[jobId];
        if (stored.provider == address(0)) return receipt;
        receipt.jobId = jobId;
        receipt.orderIds = stored.orderIds;
        receipt.assetIds = stored.assetIds;
        receipt.datasetContentHashes = stored.datasetContentHashes;
        receipt.algorithmImageDigest = stored.algorithmImageDigest;
        receipt.algorithmCodeHash = stored.algorithmCodeHash;
        receipt.algorithmHash = stored.algorithmHash;
        receipt.outputsHash = stored.outputsHash;
        receipt.resultCid = stored.resultCid;
        receipt.status = stored.status;
        receipt.runtime = stored.runtime;
        receipt.startedAt = stored.startedAt;
        receipt.finishedAt = stored.finishedAt;
    }

    /// @inheritdoc IComputeReceipts
    function jobIdOf(bytes32 orderId) external view returns (bytes32) {
        return _jobOfOrder[orderId];
    }

    /// @inheritdoc IComputeReceipts
    function providerOf(bytes32 jobId) external view returns (address) {
        return _receipts[jobId].provider;
    }

    /// @inheritdoc IComputeReceipts
    function outcomeOf(bytes32 jobId) external view returns (address provider, uint8 status) {
        StoredReceipt storage stored = _receipts[jobId];
        return (stored.provider, stored.status);
    }

    /// @inheritdoc IComputeReceipts
    function exists(bytes32 jobId) external view returns (bool) {
        return _receipts[jobId].provider != address(0);
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
    function hashReceipt(Receipt calldata receipt) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RECEIPT_TYPEHASH,
                    receipt.jobId,
                    keccak256(abi.encodePacked(receipt.orderIds)),
                    keccak256(abi.encodePacked(receipt.assetIds)),
                    keccak256(abi.encodePacked(receipt.datasetContentHashes)),
                    receipt.algorithmImageDigest,
                    receipt.algorithmCodeHash,
                    receipt.algorithmHash,
                    receipt.outputsHash,
                    keccak256(bytes(receipt.resultCid)),
                    receipt.status,
                    receipt.runtime,
                    receipt.startedAt,
                    receipt.finishedAt
                )
            )
        );
    }

    /// @dev Checks that the asset is a dataset and `orderId` exists on its datatoken, names `signer`, is unspent, and
    /// that the job started within the order's life (not before its block time, not after its expiry; both within
    /// CLOCK_TOLERANCE for the start) and is recorded within RECORD_WINDOW of the expiry by block time; then marks
    /// the order spent by `jobId`.
    function _consumeOrder(bytes32 orderId, uint256 assetId, address signer, uint64 startedAt, bytes32 jobId) private {
        bytes32 usedBy = _jobOfOrder[orderId];
        if (usedBy != bytes32(0)) revert ComputeReceiptsOrderAlreadyUsed(orderId, usedBy);
        IDatatoken datatoken = IDatatoken(_dataNFT.datatokenOf(assetId));
        IDataNFT.AssetKind kind = _dataNFT.kindOf(assetId);
        if (kind != IDataNFT.AssetKind.Dataset) revert ComputeReceiptsNotADataset(assetId, uint8(kind));
        IDatatoken.OrderInfo memory order = datatoken.orderInfo(orderId);
        uint64 validUntil = order.validUntil;
        if (validUntil == 0) revert ComputeReceiptsUnknownOrder(orderId, assetId);
        if (order.provider != signer) revert ComputeReceiptsProviderMismatch(orderId, order.provider, signer);
        if (startedAt > validUntil) revert ComputeReceiptsOrderExpired(orderId, validUntil, startedAt);
        // The order's block time: validUntil is that time plus the service's timeout, immutable in the clone.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 orderStart = validUntil - uint64(datatoken.serviceTimeout(order.serviceId));
        if (uint256(startedAt) + CLOCK_TOLERANCE < orderStart) {
            revert ComputeReceiptsJobBeforeOrder(orderId, orderStart, startedAt);
        }
        if (block.timestamp > uint256(validUntil) + RECORD_WINDOW) {
            revert ComputeReceiptsRecordedTooLate(orderId, validUntil, block.timestamp);
        }
        _jobOfOrder[orderId] = jobId;
    }
}
