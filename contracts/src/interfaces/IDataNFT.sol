// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IComputeReceipts} from "./IComputeReceipts.sol";

/// @title Cove data NFT collection
/// @notice One ERC-721 collection for every Cove asset (dataset, algorithm or derived model): one token per asset.
/// Each token anchors the asset document on IPFS (its CID and sha256) and names the asset's datatoken. A derived model
/// records the job receipts it was trained from.
interface IDataNFT is IERC721, IERC4906 {
    /// @notice What an asset is.
    enum AssetKind {
        Dataset,
        Algorithm,
        Model
    }

    /// @notice What the factory passes to `mint`.
    /// @param to The first owner (the publisher).
    /// @param kind The asset kind.
    /// @param datatoken The asset's datatoken.
    /// @param cid The asset document's CID: CIDv1, base32 lower case (`b…`), ending in a 32-byte digest.
    /// @param metadataHash The sha256 of the asset document's bytes.
    /// @param parents For a model: proofs of the jobs it was trained from, each job listed once, each recorded in
    /// ComputeReceipts, succeeded (status 0), and ordered by `to` (the job's consumer). A model with parents keeps
    /// its document for good: the lineage vouches for those bytes.
    struct MintParams {
        address to;
        AssetKind kind;
        address datatoken;
        string cid;
        bytes32 metadataHash;
        IComputeReceipts.JobProof[] parents;
    }

    /// @notice Only the factory mints.
    error DataNFTOnlyFactory(address caller);
    /// @notice The asset does not exist.
    error DataNFTUnknownAsset(uint256 assetId);
    /// @notice `caller` is neither the asset's owner nor its metadata manager.
    error DataNFTUnauthorized(uint256 assetId, address caller);
    /// @notice The CID is not a CIDv1 in base32 lower case ending in a 32-byte digest with at most 8 header bytes.
    error DataNFTInvalidCid(string cid);
    /// @notice The metadata hash must not be zero.
    error DataNFTInvalidMetadataHash();
    /// @notice The datatoken address must not be zero.
    error DataNFTInvalidDatatoken();
    /// @notice Lineage is only recorded for models.
    error DataNFTLineageOnlyForModels(AssetKind kind);
    /// @notice More parents than `MAX_PARENTS`.
    error DataNFTTooManyParents(uint256 count, uint256 max);
    /// @notice A parent's proof does not lead to a recorded receipt batch in ComputeReceipts.
    error DataNFTUnknownParentJob(bytes32 jobId);
    /// @notice A parent job's consumer is not the model's publisher: only the buyer of a job may cite it.
    error DataNFTNotParentJobConsumer(bytes32 jobId, address consumer, address publisher);
    /// @notice The document of a model with lineage cannot change.
    error DataNFTLineageFrozen(uint256 assetId);
    /// @notice A parent job did not succeed (`status` is its receipt's status code): a model derives from results.
    error DataNFTParentJobNotSucceeded(bytes32 jobId, uint8 status);
    /// @notice A parent job is listed more than once.
    error DataNFTDuplicateParentJob(bytes32 jobId);

    /// @notice The asset document changed: a new CID and sha256 (ERC-4906 `MetadataUpdate` is emitted alongside).
    event MetadataDocumentUpdated(uint256 indexed assetId, bytes32 indexed metadataHash, string cid, address updater);
    /// @notice The owner set (or cleared, with the zero address) the asset's metadata manager.
    event MetadataManagerSet(uint256 indexed assetId, address indexed manager);
    /// @notice One of a model's parents (a job receipt id) was recorded at publish: one event per parent, in order,
    /// so "which models came from this job" is one log query on the `jobId` topic.
    /// `root` is the receipt batch that proves the job.
    event LineageRecorded(uint256 indexed assetId, bytes32 indexed jobId, bytes32 root);

    /// @notice Mints asset `assetId` (sequential, from 1) with its document and datatoken. Factory only.
    /// @return assetId The new token id.
    function mint(MintParams calldata params) external returns (uint256 assetId);

    /// @notice Replaces the asset document (owner or metadata manager). Emits `MetadataUpdate` and
    /// `MetadataDocumentUpdated`.
    function setMetadata(uint256 assetId, string calldata cid, bytes32 metadataHash) external;

    /// @notice Sets the metadata manager (owner only; zero clears it). A transfer of the token clears it too.
    function setMetadataManager(uint256 assetId, address manager) external;

    /// @notice The factory allowed to mint.
    function factory() external view returns (address);
    /// @notice The ComputeReceipts contract that lineage is checked against.
    function computeReceipts() external view returns (address);
    /// @notice The id the next minted asset will get.
    function nextAssetId() external view returns (uint256);
    /// @notice The asset document's CID, re-encoded from its stored binary form.
    function cidOf(uint256 assetId) external view returns (string memory);
    /// @notice The sha256 of the asset document.
    function metadataHash(uint256 assetId) external view returns (bytes32);
    /// @notice The asset kind.
    function kindOf(uint256 assetId) external view returns (AssetKind);
    /// @notice The asset's datatoken (reverts `DataNFTUnknownAsset` for an unknown asset).
    function datatokenOf(uint256 assetId) external view returns (address);
    /// @notice The address the asset was minted to at publish (its publisher): unlike `ownerOf`, never changed by a
    /// transfer or sale. Reverts `DataNFTUnknownAsset` for an unknown asset.
    function creatorOf(uint256 assetId) external view returns (address);
    /// @notice The metadata manager (zero when none).
    function metadataManager(uint256 assetId) external view returns (address);
    /// @notice Whether the asset is a model with recorded lineage (its document is then frozen).
    function hasLineage(uint256 assetId) external view returns (bool);
    /// @notice The asset's datatoken and kind in one call (reverts `DataNFTUnknownAsset` for an unknown asset).
    function datatokenAndKindOf(uint256 assetId) external view returns (address datatoken, AssetKind kind);
}
