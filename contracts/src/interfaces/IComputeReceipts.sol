// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Compute job receipts
/// @notice Immutable, provider-signed records of compute jobs. A receipt binds the orders spent (one per dataset),
/// the datasets' content hashes, the algorithm's image digest, code hash and algorithm hash (the whole approved
/// container spec), and the outputs' hash. It is EIP-712
/// signed (domain "Cove ComputeReceipts", version "1", this chain, this contract) by a provider registered in
/// ProviderRegistry, and every order must name that provider. Anyone may submit it.
///
/// Job ids commit to their provider: the top 20 bytes of `jobId` are the signer's address, the low 12 bytes are the
/// provider's (random) choice. A receipt whose id names another address is refused, so no one can take another
/// provider's job id.
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
    /// owner's allow-list exactly. It is computed off-chain; the contract only requires it to be non-zero and stores it.
    struct Receipt {
        bytes32 jobId;
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
    /// @notice A receipt for this job id exists already.
    error ComputeReceiptsJobExists(bytes32 jobId);
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
    /// @notice The order already has a receipt.
    error ComputeReceiptsOrderAlreadyUsed(bytes32 orderId, bytes32 jobId);

    /// @notice A receipt was recorded. `algorithmHash` is the sha256 of the approved container spec (see `Receipt`).
    event JobRecorded(
        bytes32 indexed jobId,
        address indexed provider,
        bytes32 outputsHash,
        string resultCid,
        uint8 status,
        uint8 runtime,
        bytes32 algorithmImageDigest,
        bytes32 algorithmCodeHash,
        bytes32 algorithmHash
    );
    /// @notice An order was spent by a job (one per dataset), so clients can find receipts by order or asset.
    event OrderConsumed(bytes32 indexed orderId, bytes32 indexed jobId, uint256 indexed assetId, bytes32 contentHash);

    /// @notice Verifies and stores a receipt signed by a registered provider.
    function recordJob(Receipt calldata receipt, bytes calldata signature) external;

    /// @notice The stored receipt (all fields zero when unknown).
    function getReceipt(bytes32 jobId) external view returns (Receipt memory);
    /// @notice The job that spent `orderId` (zero when none).
    function jobIdOf(bytes32 orderId) external view returns (bytes32);
    /// @notice The provider that signed the receipt (zero when none).
    function providerOf(bytes32 jobId) external view returns (address);
    /// @notice The signer and status code of the receipt (one storage read; zero address when none).
    function outcomeOf(bytes32 jobId) external view returns (address provider, uint8 status);
    /// @notice Whether a receipt exists for `jobId`.
    function exists(bytes32 jobId) external view returns (bool);
    /// @notice The EIP-712 digest the provider signs for `receipt`.
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32);
    /// @notice The EIP-712 type hash of `Receipt`.
    function RECEIPT_TYPEHASH() external view returns (bytes32);
    /// @notice How long after an order expires its receipt may still be recorded (block time), in seconds.
    function RECORD_WINDOW() external view returns (uint256);
    /// @notice How far a receipt's signed times may sit outside the chain's clock: `startedAt` before the order's
    /// block time, `finishedAt` after the recording block's time (provider and block clocks differ), in seconds.
    function CLOCK_TOLERANCE() external view returns (uint256);
    /// @notice The largest number of datasets (orders) per receipt.
    function MAX_DATASETS() external view returns (uint256);
    /// @notice The provider registry.
    function providerRegistry() external view returns (address);
    /// @notice The DataNFT collection used to find each asset's datatoken.
    function dataNFT() external view returns (address);
}
