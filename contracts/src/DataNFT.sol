// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";
import {IComputeReceipts} from "./interfaces/IComputeReceipts.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";
import {CidCodec} from "./libraries/CidCodec.sol";

/// @title DataNFT
/// @notice The single ERC-721 collection of Cove assets. See {IDataNFT}.
/// @dev Per asset: one packed slot (datatoken, kind, CID header), the CID digest and the metadata hash. The CID is
/// stored in binary (see {CidCodec}) to save a slot per publish. The creator is written lazily, on the token's first
/// change of hands (see {_update}), so publishing pays nothing for it.
contract DataNFT is ERC721, IDataNFT {
    /// @notice The most parents a model can name.
    uint256 public constant MAX_PARENTS = 16;

    /// @dev Packed into one slot: 160 + 8 + 8 + 64 + 8 + 8 bits. `hashIsCidDigest` marks documents whose sha256 is
    /// the CID's own digest (raw or JSON codec blocks): the hash is then not stored a second time. `lineage` marks a
    /// model minted with parents, whose document is frozen.
    struct AssetRecord {
        address datatoken;
        AssetKind kind;
        uint8 cidPrefixLength;
        bytes8 cidPrefix;
        bool hashIsCidDigest;
        bool lineage;
    }

    address private immutable _factory;
    address private immutable _computeReceipts;

    uint256 private _nextAssetId = 1;
    mapping(uint256 assetId => AssetRecord) private _assets;
    mapping(uint256 assetId => bytes32) private _cidDigests;
    mapping(uint256 assetId => bytes32) private _metadataHashes;
    mapping(uint256 assetId => address) private _managers;
    /// @dev The publisher, recorded only once the token first leaves them: until then it is the current owner. The
    /// packed record has 8 bits left, too few for an address, and a slot written at mint would cost every publish
    /// 22,100 gas (pushing it over its target); most assets never change hands, and those that do pay it once.
    mapping(uint256 assetId => address) private _creators;

    /// @param factory_ The AssetFactory (the only minter).
    /// @param computeReceipts_ The ComputeReceipts contract lineage is checked against.
    constructor(address factory_, address computeReceipts_) ERC721("Cove Data", "COVE") {
        _factory = factory_;
        _computeReceipts = computeReceipts_;
    }

    /// @inheritdoc IDataNFT
    function mint(MintParams calldata params) external returns (uint256 assetId) {
        if (msg.sender != _factory) revert DataNFTOnlyFactory(msg.sender);
        if (params.datatoken == address(0)) revert DataNFTInvalidDatatoken();
        assetId = _nextAssetId;
        // One asset per publish transaction: the counter cannot reach 2**256.
        unchecked {
            _nextAssetId = assetId + 1;
        }
        _storeDocument(assetId, params.cid, params.metadataHash, params.kind, params.datatoken);
        uint256 parents = params.parents.length;
        if (parents > 0) {
            if (params.kind != AssetKind.Model) revert DataNFTLineageOnlyForModels(params.kind);
            if (parents > MAX_PARENTS) revert DataNFTTooManyParents(parents, MAX_PARENTS);
            _checkParents(params.parents, params.to);
            _assets[assetId].lineage = true;
            for (uint256 i; i < parents; ++i) {
                emit LineageRecorded(assetId, params.parents[i].jobId, params.parents[i].root);
            }
        }
        _mint(params.to, assetId);
    }

    /// @inheritdoc IDataNFT
    function setMetadata(uint256 assetId, string calldata cid, bytes32 metadataHash_) external {
        address owner = _requireOwned(assetId);
        if (msg.sender != owner && msg.sender != _managers[assetId]) revert DataNFTUnauthorized(assetId, msg.sender);
        AssetRecord storage record = _assets[assetId];
        if (record.lineage) revert DataNFTLineageFrozen(assetId);
        _storeDocument(assetId, cid, metadataHash_, record.kind, record.datatoken);
        emit MetadataUpdate(assetId);
        emit MetadataDocumentUpdated(assetId, metadataHash_, cid, msg.sender);
    }

    /// @inheritdoc IDataNFT
    function setMetadataManager(uint256 assetId, address manager) external {
        address owner = _requireOwned(assetId);
        if (msg.sender != owner) revert DataNFTUnauthorized(assetId, msg.sender);
        _managers[assetId] = manager;
        emit MetadataManagerSet(assetId, manager);
    }

    /// @inheritdoc IDataNFT
    function factory() external view returns (address) {
        return _factory;
    }

    /// @inheritdoc IDataNFT
    function computeReceipts() external view returns (address) {
        return _computeReceipts;
    }

    /// @inheritdoc IDataNFT
    function nextAssetId() external view returns (uint256) {
        return _nextAssetId;
    }

    /// @inheritdoc IDataNFT
    function cidOf(uint256 assetId) public view returns (string memory) {
        _requireAsset(assetId);
        AssetRecord storage record = _assets[assetId];
        return CidCodec.encode(record.cidPrefix, record.cidPrefixLength, _cidDigests[assetId]);
    }

    /// @notice `ipfs://<cid>` of the asset document.
    function tokenURI(uint256 assetId) public view override returns (string memory) {
        return string.concat("ipfs://", cidOf(assetId));
    }

    /// @inheritdoc IDataNFT
    function metadataHash(uint256 assetId) external view returns (bytes32) {
        _requireAsset(assetId);
        return _assets[assetId].hashIsCidDigest ? _cidDigests[assetId] : _metadataHashes[assetId];
    }

    /// @inheritdoc IDataNFT
    function kindOf(uint256 assetId) external view returns (AssetKind) {
        _requireAsset(assetId);
        return _assets[assetId].kind;
    }

    /// @inheritdoc IDataNFT
    function datatokenOf(uint256 assetId) external view returns (address datatoken) {
        datatoken = _assets[assetId].datatoken;
        if (datatoken == address(0)) revert DataNFTUnknownAsset(assetId);
    }

    /// @inheritdoc IDataNFT
    function creatorOf(uint256 assetId) external view returns (address creator) {
        _requireAsset(assetId);
        creator = _creators[assetId];
        // Not recorded yet: the token never left its first owner, who is therefore the publisher.
        if (creator == address(0)) creator = _ownerOf(assetId);
    }

    /// @inheritdoc IDataNFT
    function metadataManager(uint256 assetId) external view returns (address) {
        return _managers[assetId];
    }

    /// @inheritdoc IDataNFT
    function hasLineage(uint256 assetId) external view returns (bool) {
        _requireAsset(assetId);
        return _assets[assetId].lineage;
    }

    /// @inheritdoc IDataNFT
    function datatokenAndKindOf(uint256 assetId) external view returns (address datatoken, AssetKind kind) {
        AssetRecord storage record = _assets[assetId];
        datatoken = record.datatoken;
        if (datatoken == address(0)) revert DataNFTUnknownAsset(assetId);
        kind = record.kind;
    }

    /// @notice ERC-165: ERC-721, its metadata extension and ERC-4906.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }

    /// @dev When the token changes hands: records the creator on its first move (the previous owner is then still the
    /// publisher it was minted to), clears the metadata manager, so a new owner never inherits one, and tells the
    /// datatoken (a Cove clone made with the asset), which starts a new ownership epoch for minter grants.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && from != to) {
            if (_creators[tokenId] == address(0)) _creators[tokenId] = from;
            if (_managers[tokenId] != address(0)) {
                delete _managers[tokenId];
                emit MetadataManagerSet(tokenId, address(0));
            }
            // A new ownership epoch on the datatoken: the previous owners' minter grants lapse for good.
            IDatatoken(_assets[tokenId].datatoken).onAssetTransfer(to);
        }
    }

    /// @dev Each parent once, proven in a recorded batch, succeeded, and bought by `publisher`. Bounded by
    /// MAX_PARENTS: at most 120 comparisons for the duplicate check.
    function _checkParents(IComputeReceipts.JobProof[] calldata parents, address publisher) private view {
        IComputeReceipts receipts = IComputeReceipts(_computeReceipts);
        for (uint256 i; i < parents.length; ++i) {
            IComputeReceipts.JobProof calldata parent = parents[i];
            bytes32 jobId = parent.jobId;
            for (uint256 j; j < i; ++j) {
                if (parents[j].jobId == jobId) revert DataNFTDuplicateParentJob(jobId);
            }
            if (!receipts.isRecorded(parent)) revert DataNFTUnknownParentJob(jobId);
            if (parent.status != uint8(IComputeReceipts.JobStatus.Succeeded)) {
                revert DataNFTParentJobNotSucceeded(jobId, parent.status);
            }
            if (parent.consumer != publisher) revert DataNFTNotParentJobConsumer(jobId, parent.consumer, publisher);
        }
    }

    function _storeDocument(uint256 assetId, string calldata cid, bytes32 hash, AssetKind kind, address datatoken)
        private
    {
        if (hash == bytes32(0)) revert DataNFTInvalidMetadataHash();
        (bool ok, bytes8 prefix, uint8 prefixLength, bytes32 digest) = CidCodec.decode(cid);
        if (!ok) revert DataNFTInvalidCid(cid);
        bool sameHash = hash == digest && _isSha256(prefix, prefixLength);
        _assets[assetId] = AssetRecord({
            datatoken: datatoken,
            kind: kind,
            cidPrefixLength: prefixLength,
            cidPrefix: prefix,
            hashIsCidDigest: sameHash,
            lineage: false
        });
        _cidDigests[assetId] = digest;
        if (!sameHash) _metadataHashes[assetId] = hash;
    }

    /// @dev Whether the CID header ends with the sha2-256 multihash code and length (0x12 0x20).
    function _isSha256(bytes8 prefix, uint8 prefixLength) private pure returns (bool) {
        // The header is left-aligned in 8 bytes: shift its last two bytes down and keep them.
        // forge-lint: disable-next-line(unsafe-typecast)
        return prefixLength >= 2 && uint16(uint64(prefix) >> (8 * (8 - prefixLength))) == 0x1220;
    }

    function _requireAsset(uint256 assetId) private view {
        if (_assets[assetId].datatoken == address(0)) revert DataNFTUnknownAsset(assetId);
    }
}
