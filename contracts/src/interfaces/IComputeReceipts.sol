// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Compute job receipts
/// @notice Provider-signed records of compute jobs. A receipt binds the orders spent (one per dataset), the
/// datasets' content hashes, the consumer, the algorithm's image digest, code hash and algorithm hash (the whole
/// approved container spec), the outputs' hash, the status, the runtime and both times.
///
/// Receipts are recorded in batches of 1..MAX_BATCH. Each receipt has a leaf (`leafHash`); the batch's root is the
/// Merkle root of its leaves in calldata order (pairs hashed sorted, as OpenZeppelin's `MerkleProof`; an odd last
/// node moves up unchanged; one receipt: root = leaf). The provider signs the EIP-712 `ReceiptBatch(root, count)`
/// (domain "Cove ComputeReceipts", version "2", this chain, this contract); anyone may submit it. The chain stores
/// one slot per batch (provider, block, count) and marks each order spent in place on its datatoken; every field
/// of every receipt is emitted (`JobRecorded`, `OrderConsumed`) and sits in the transaction's calldata.
///
/// Job ids commit to their provider: the top 20 bytes of `jobId` are the signer's address, the low 12 bytes are the
/// provider's (random) choice, so no one can record under another provider's ids. Each order is spent once, so a
/// receipt can never be replaced. A provider that reuses one of its own ids makes its jobs fail audit.
///
/// Status codes (`status`): 0 succeeded, 1 failed (non-zero exit), 2 timed_out, 3 oom_killed, 4 stopped (by the
/// consumer), 5 output_rejected (output policy), 6 engine_error, 7 rejected_by_owner (an asset owner who reviews
/// outputs before release refused them; nothing reached the buyer).
///
/// Runtime codes (`runtime`), the OCI runtime the job's container ran under: 0 none (no container ran, e.g. an
/// engine error before start), 1 runc (namespaces and seccomp on the host kernel), 2 runsc (gVisor: a user-space
/// kernel between the job and the host's).
interface IComputeReceipts {
    /// @notice How a job ended.
    enum JobStatus {
        Succeeded,
        Failed,
        TimedOut,
        OomKilled,
        Stopped,
        OutputRejected,
        EngineError,
        RejectedByOwner
    }

    /// @notice The OCI runtime a job's container ran under (see the runtime codes above).
    enum JobRuntime {
        None,
        Runc,
        Runsc
    }

    /// @notice A job receipt. `orderIds[i]` is the order spent on dataset `assetIds[i]`, whose plaintext hashes to
    /// `datasetContentHashes[i]`; the three arrays have equal lengths in `1 .. MAX_DATASETS`.
    /// @dev `algorithmImageDigest` and `algorithmCodeHash` name the image and the code bundle that ran;
    /// `algorithmHash` is the sha256 of the canonical JSON of the whole container spec the asset owner approved (image
    /// ID, code bundle hash, entrypoint, command, working dir, env, user), so a verifier can match the job against the
    /// owner's allow-list exactly. It is computed off-chain; the contract only requires it to be non-zero.
    /// `consumer` is the order's consumer (the provider checked it from the order's `OrderStarted` event); lineage
    /// lets only the consumer cite the job.
    struct Receipt {
        bytes32 jobId;
        address consumer;
        bytes32[] orderIds;
        uint256[] assetIds;
        bytes32[] datasetContentHashes;
        bytes32 algorithmImageDigest;
        bytes32 algorithmCodeHash;
        bytes32 algorithmHash;
        bytes32 outputsHash;
        string resultCid;
        uint8 status;
        uint8 runtime;
        uint64 startedAt;
        uint64 finishedAt;
    }

    /// @notice The job id must not be zero.
    error ComputeReceiptsInvalidJobId();
    /// @notice The job id's top 20 bytes must be the signer's address (`jobId = provider ‖ 12 bytes`), so no one can
    /// take another provider's job id.
    error ComputeReceiptsJobIdNotSigners(bytes32 jobId, address signer);
    /// @notice The algorithm hash (sha256 of the approved container spec) must not be zero.
    error ComputeReceiptsInvalidAlgorithmHash();
    /// @notice The receipt names no consumer.
    error ComputeReceiptsInvalidConsumer();
    /// @notice A batch must hold 1..MAX_BATCH receipts.
    error ComputeReceiptsInvalidBatchSize(uint256 count);
    /// @notice A batch with this root was recorded already.
    error ComputeReceiptsBatchExists(bytes32 root);
    /// @notice The order's service is an access service: only compute orders are spent by jobs.
    error ComputeReceiptsNotAComputeOrder(bytes32 orderId, uint256 serviceId);
    /// @notice Array lengths differ, are zero or exceed `MAX_DATASETS`.
    error ComputeReceiptsInvalidDatasets(uint256 orders, uint256 assets, uint256 hashes);
    /// @notice Unknown status code.
    error ComputeReceiptsInvalidStatus(uint8 status);
    /// @notice Unknown runtime code.
    error ComputeReceiptsInvalidRuntime(uint8 runtime);
    /// @notice `finishedAt` precedes `startedAt`.
    error ComputeReceiptsInvalidTimes(uint64 startedAt, uint64 finishedAt);
    /// @notice The signature does not recover to an address.
    error ComputeReceiptsInvalidSignature();
    /// @notice The signer is not a registered provider.
    error ComputeReceiptsUnregisteredProvider(address signer);
    /// @notice The order does not exist on the asset's datatoken.
    error ComputeReceiptsUnknownOrder(bytes32 orderId, uint256 assetId);
    /// @notice The order names another provider.
    error ComputeReceiptsProviderMismatch(bytes32 orderId, address orderProvider, address signer);
    /// @notice The job started after the order expired.
    error ComputeReceiptsOrderExpired(bytes32 orderId, uint64 validUntil, uint64 startedAt);
    /// @notice The job started (by its signed `startedAt`) before the order existed (`orderStartedAt`, its block
    /// time), beyond `CLOCK_TOLERANCE`.
    error ComputeReceiptsJobBeforeOrder(bytes32 orderId, uint64 orderStartedAt, uint64 startedAt);
    /// @notice The job finished after the block recording it, beyond `CLOCK_TOLERANCE`.
    error ComputeReceiptsFinishedInFuture(uint64 finishedAt, uint256 blockTimestamp);
    /// @notice The receipt comes more than `RECORD_WINDOW` after the order expired (by the chain's clock).
    error ComputeReceiptsRecordedTooLate(bytes32 orderId, uint64 validUntil, uint256 blockTimestamp);
    /// @notice The order was for an asset that is not a dataset (`kind`: 1 algorithm, 2 model).
    error ComputeReceiptsNotADataset(uint256 assetId, uint8 kind);
    /// @notice The order was spent by a receipt already.
    error ComputeReceiptsOrderAlreadyUsed(bytes32 orderId);

    /// @notice The stored form of a batch: its signer, the block it was recorded in, and its size.
    struct Batch {
        address provider;
        uint64 blockNumber;
        uint32 count;
    }

    /// @notice A proof that a job is in a recorded batch, with the leaf fields lineage needs (see `leafHash`).
    /// `proof` is the Merkle path from the leaf to `root` (empty for a batch of one).
    struct JobProof {
        bytes32 root;
        bytes32 receiptHash;
        bytes32 jobId;
        address consumer;
        uint8 status;
        bytes32[] proof;
    }

    /// @notice A batch of `count` receipts with Merkle root `root`, signed by `provider`, was recorded.
    event BatchRecorded(bytes32 indexed root, address indexed provider, uint256 count);
    /// @notice A receipt was recorded in batch `root` (the provider is the top 20 bytes of `jobId`).
    event JobRecorded(
        bytes32 indexed jobId,
        bytes32 indexed root,
        address indexed consumer,
        bytes32 outputsHash,
        string resultCid,
        uint8 status,
        uint8 runtime,
        bytes32 algorithmImageDigest,
        bytes32 algorithmCodeHash,
        bytes32 algorithmHash,
        uint64 startedAt,
        uint64 finishedAt
    );
    /// @notice An order was spent by a job (one per dataset), so clients can find receipts by order or asset.
    event OrderConsumed(bytes32 indexed orderId, bytes32 indexed jobId, uint256 indexed assetId, bytes32 contentHash);

    /// @notice Records one receipt: a batch of one, `signature` over `ReceiptBatch(leafHash(receipt), 1)`.
    function recordJob(Receipt calldata receipt, bytes calldata signature) external;
    /// @notice Records a batch; `signature` is the provider's over `ReceiptBatch(root, receipts.length)`.
    function recordBatch(Receipt[] calldata receipts, bytes calldata signature) external;

    /// @notice The recorded batch with Merkle root `root` (zero provider when none).
    function batchOf(bytes32 root) external view returns (Batch memory);
    /// @notice Whether `p` proves a leaf of a recorded batch.
    function isRecorded(JobProof calldata p) external view returns (bool);
    /// @notice The EIP-712 struct hash of `receipt` (its fields under `RECEIPT_TYPEHASH`).
    function hashReceipt(Receipt calldata receipt) external pure returns (bytes32);
    /// @notice The Merkle leaf of `receipt`: keccak256(abi.encode(receiptHash, jobId, consumer, status)).
    function leafOf(Receipt calldata receipt) external pure returns (bytes32);
    /// @notice The leaf from its parts (see `leafOf`).
    function leafHash(bytes32 receiptHash, bytes32 jobId, address consumer, uint8 status)
        external
        pure
        returns (bytes32);
    /// @notice The EIP-712 digest the provider signs for a batch.
    function hashBatch(bytes32 root, uint256 count) external view returns (bytes32);
    /// @notice The EIP-712 type hash of `Receipt`.
    function RECEIPT_TYPEHASH() external view returns (bytes32);
    /// @notice The EIP-712 type hash of `ReceiptBatch(bytes32 root,uint256 count)`.
    function BATCH_TYPEHASH() external view returns (bytes32);
    /// @notice How long after an order expires its receipt may still be recorded (block time), in seconds.
    function RECORD_WINDOW() external view returns (uint256);
    /// @notice How far a receipt's signed times may sit outside the chain's clock: `startedAt` before the order's
    /// block time, `finishedAt` after the recording block's time (provider and block clocks differ), in seconds.
    function CLOCK_TOLERANCE() external view returns (uint256);
    /// @notice The largest number of datasets (orders) per receipt.
    function MAX_DATASETS() external view returns (uint256);
    /// @notice The largest number of receipts per batch.
    function MAX_BATCH() external view returns (uint256);
    /// @notice The block this contract was deployed in: log scans start here.
    function deploymentBlock() external view returns (uint256);
    /// @notice The provider registry.
    function providerRegistry() external view returns (address);
    /// @notice The DataNFT collection used to find each asset's datatoken.
    function dataNFT() external view returns (address);
}
