// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {vm} from "./Vm.sol";
import {CoveDeployer} from "../../script/CoveDeployer.sol";
import {ProviderRegistry} from "../../src/ProviderRegistry.sol";
import {DataNFT} from "../../src/DataNFT.sol";
import {ComputeReceipts} from "../../src/ComputeReceipts.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {FixedRateExchange} from "../../src/FixedRateExchange.sol";
import {Dispenser} from "../../src/Dispenser.sol";
import {AssetFactory} from "../../src/AssetFactory.sol";
import {IAssetFactory} from "../../src/interfaces/IAssetFactory.sol";
import {IComputeReceipts} from "../../src/interfaces/IComputeReceipts.sol";
import {IDataNFT} from "../../src/interfaces/IDataNFT.sol";
import {CidCodec} from "../../src/libraries/CidCodec.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {Merkle} from "./Merkle.sol";

/// @notice Shared setup: the whole deployment, actors, a base token and helpers to publish, order and sign receipts.
abstract contract CoveFixture is Test, CoveDeployer {
    /// @dev The asset document and its sha256.
    bytes internal constant DOC = bytes('{"name":"Iris","contentHash":"0x01","services":[{"type":"compute"}]}');
    /// @dev A realistic 59-character CIDv1 of a document stored as a raw block (its digest is the document's sha256).
    string internal CID;
    bytes32 internal DOC_HASH;
    /// @dev A dag-pb (UnixFS) CIDv1, whose digest is not the document's sha256.
    string internal constant CID_DAG_PB = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
    /// @dev Raw CIDv1 header: version 1, codec raw (0x55), sha2-256 (0x12), 32 bytes (0x20).
    bytes8 internal constant RAW_PREFIX = bytes8(0x0155122000000000);
    uint32 internal constant COMPUTE_TIMEOUT = 1 days;
    uint32 internal constant ACCESS_TIMEOUT = 1 hours;
    uint256 internal constant ONE = 1e18;

    ProviderRegistry internal registry;
    DataNFT internal dataNFT;
    ComputeReceipts internal receipts;
    Datatoken internal datatokenImplementation;
    FixedRateExchange internal exchange;
    Dispenser internal dispenser;
    AssetFactory internal factory;
    MockERC20 internal baseToken;

    address internal publisher;
    address internal buyer;
    address internal consumer;
    address internal marketplace;
    address internal provider;
    uint256 internal providerKey;
    address internal stranger;
    uint256 internal strangerKey;

    function setUp() public virtual {
        DOC_HASH = sha256(DOC);
        CID = CidCodec.encode(RAW_PREFIX, 4, DOC_HASH);
        CoveDeployment memory d = _deployCove(address(this));
        registry = d.registry;
        dataNFT = d.dataNFT;
        receipts = d.receipts;
        datatokenImplementation = d.datatokenImplementation;
        exchange = d.exchange;
        dispenser = d.dispenser;
        factory = d.factory;
        baseToken = new MockERC20("Base", "BASE", 18);

        publisher = makeAddr("publisher");
        buyer = makeAddr("buyer");
        consumer = makeAddr("consumer");
        marketplace = makeAddr("marketplace");
        (provider, providerKey) = makeAddrAndKey("provider");
        (stranger, strangerKey) = makeAddrAndKey("stranger");
        vm.warp(1_750_000_000);
    }

    // ------------------------------------------------------------ publishing

    /// @dev Services: 0 = compute (1 day), 1 = access (1 hour). No pricing; supply to the publisher.
    function _params(uint256 initialSupply) internal view returns (IAssetFactory.PublishParams memory p) {
        uint32[] memory timeouts = new uint32[](2);
        timeouts[0] = COMPUTE_TIMEOUT;
        timeouts[1] = ACCESS_TIMEOUT;
        p.kind = IDataNFT.AssetKind.Dataset;
        p.cid = CID;
        p.metadataHash = DOC_HASH;
        p.name = "Cove Iris Dataset";
        p.symbol = "IRIS";
        p.serviceTimeouts = timeouts;
        p.computeServices = 1; // service 0 computes, service 1 is access only
        p.initialSupply = initialSupply;
    }

    function _fixedRateParams(uint256 supply, uint256 rate, uint16 feeBps)
        internal
        view
        returns (IAssetFactory.PublishParams memory p)
    {
        p = _params(supply);
        p.pricing = IAssetFactory.Pricing.FixedRate;
        p.fixedRate = IAssetFactory.FixedRateParams({
            baseToken: address(baseToken),
            rate: rate,
            feeCollector: feeBps > 0 ? marketplace : address(0),
            feeBps: feeBps
        });
    }

    function _publish(IAssetFactory.PublishParams memory p)
        internal
        returns (uint256 assetId, Datatoken datatoken, uint256 pricingId)
    {
        vm.prank(publisher);
        address dt;
        (assetId, dt, pricingId) = factory.publish(p);
        datatoken = Datatoken(dt);
    }

    /// @dev Publishes a plain dataset with 100 tokens held by the publisher.
    function _publishDataset() internal returns (uint256 assetId, Datatoken datatoken) {
        (assetId, datatoken,) = _publish(_params(100 * ONE));
    }

    // ------------------------------------------------------------ orders and receipts

    /// @dev Gives `payer` one token and starts a compute order naming `provider_`.
    function _order(Datatoken datatoken, address payer, address provider_) internal returns (bytes32 orderId) {
        vm.prank(publisher);
        datatoken.transfer(payer, ONE);
        vm.prank(payer);
        orderId = datatoken.startOrder(consumer, 0, provider_);
    }

    function _registerProvider() internal {
        vm.prank(provider);
        registry.register("https://provider.example", keccak256("x25519"), "");
    }

    /// @dev A job id of `provider_`: its address in the top 20 bytes, 12 bytes from `salt` below.
    function _jobIdOf(address provider_, string memory salt) internal pure returns (bytes32) {
        return bytes32((uint256(uint160(provider_)) << 96) | uint96(uint256(keccak256(bytes(salt)))));
    }

    /// @dev A job id of the fixture's provider.
    function _jobId(string memory salt) internal view returns (bytes32) {
        return _jobIdOf(provider, salt);
    }

    function _receipt(bytes32 jobId, bytes32 orderId, uint256 assetId)
        internal
        view
        returns (IComputeReceipts.Receipt memory r)
    {
        r.jobId = jobId;
        r.consumer = consumer;
        r.orderIds = new bytes32[](1);
        r.orderIds[0] = orderId;
        r.assetIds = new uint256[](1);
        r.assetIds[0] = assetId;
        r.datasetContentHashes = new bytes32[](1);
        r.datasetContentHashes[0] = keccak256("dataset plaintext");
        r.algorithmImageDigest = keccak256("image");
        r.algorithmCodeHash = keccak256("code");
        r.algorithmHash = sha256("algorithm spec");
        r.outputsHash = keccak256("outputs");
        r.resultCid = CID_DAG_PB;
        r.status = uint8(IComputeReceipts.JobStatus.Succeeded);
        r.runtime = uint8(IComputeReceipts.JobRuntime.Runsc);
        // A job admitted and finished by now (a receipt may not finish after the block that records it).
        r.startedAt = uint64(block.timestamp);
        r.finishedAt = uint64(block.timestamp);
    }

    /// @dev Signs `r` as a batch of one (`recordJob`).
    function _sign(uint256 key, IComputeReceipts.Receipt memory r) internal view returns (bytes memory) {
        return _signRoot(key, receipts.leafOf(r), 1);
    }

    function _signRoot(uint256 key, bytes32 root, uint256 count) internal view returns (bytes memory) {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, receipts.hashBatch(root, count));
        return abi.encodePacked(rr, s, v);
    }

    /// @dev `r`'s Merkle leaf, computed here from the contract's struct hash (the leaf rule is checked against
    /// `leafOf` in the receipts tests).
    function _leafOf(IComputeReceipts.Receipt memory r) internal view returns (bytes32) {
        return keccak256(abi.encode(receipts.hashReceipt(r), r.jobId, r.consumer, r.status));
    }

    function _leaves(IComputeReceipts.Receipt[] memory rs) internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](rs.length);
        for (uint256 i; i < rs.length; ++i) {
            leaves[i] = _leafOf(rs[i]);
        }
    }

    /// @dev Signs `rs` as one batch (`recordBatch`).
    function _signBatch(uint256 key, IComputeReceipts.Receipt[] memory rs) internal view returns (bytes memory) {
        return _signRoot(key, Merkle.root(_leaves(rs)), rs.length);
    }

    /// @dev The lineage proof of receipt `index` of the batch `rs` (in calldata order).
    function _proofOf(IComputeReceipts.Receipt[] memory rs, uint256 index)
        internal
        view
        returns (IComputeReceipts.JobProof memory p)
    {
        bytes32[] memory leaves = _leaves(rs);
        IComputeReceipts.Receipt memory r = rs[index];
        p = IComputeReceipts.JobProof({
            root: Merkle.root(leaves),
            receiptHash: receipts.hashReceipt(r),
            jobId: r.jobId,
            consumer: r.consumer,
            status: r.status,
            proof: Merkle.proof(leaves, index)
        });
    }

    /// @dev The lineage proof of `r` recorded alone (`recordJob`: root = leaf, empty path).
    function _proofOne(IComputeReceipts.Receipt memory r) internal view returns (IComputeReceipts.JobProof memory) {
        IComputeReceipts.Receipt[] memory rs = new IComputeReceipts.Receipt[](1);
        rs[0] = r;
        return _proofOf(rs, 0);
    }

    /// @dev `n` compute orders on `datatoken` (one buyer, the fixture's provider) and one receipt per order, each
    /// with its own job id; the publisher must hold `n` tokens.
    function _batch(Datatoken datatoken, uint256 assetId, uint256 n, string memory salt)
        internal
        returns (IComputeReceipts.Receipt[] memory rs)
    {
        vm.prank(publisher);
        datatoken.transfer(buyer, n * ONE);
        rs = new IComputeReceipts.Receipt[](n);
        vm.startPrank(buyer);
        for (uint256 i; i < n; ++i) {
            bytes32 orderId = datatoken.startOrder(consumer, 0, provider);
            rs[i] = _receipt(_jobId(string(abi.encode(salt, i))), orderId, assetId);
        }
        vm.stopPrank();
    }

    /// @dev Registers the provider, publishes, orders and records a succeeded job; returns its ids.
    function _recordedJob(bytes32 jobId) internal returns (uint256 assetId, bytes32 orderId) {
        Datatoken datatoken;
        (assetId, datatoken) = _publishDataset();
        _registerProvider();
        orderId = _order(datatoken, buyer, provider);
        IComputeReceipts.Receipt memory r = _receipt(jobId, orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
    }

    /// @dev As `_recordedJob`, with the publisher as the job's consumer (who may then cite it as a model's parent);
    /// returns the job's lineage proof.
    function _recordedParent(bytes32 jobId) internal returns (IComputeReceipts.JobProof memory) {
        (uint256 assetId, Datatoken datatoken) = _publishDataset();
        if (!registry.isRegistered(provider)) _registerProvider();
        vm.prank(publisher);
        bytes32 orderId = datatoken.startOrder(publisher, 0, provider);
        IComputeReceipts.Receipt memory r = _receipt(jobId, orderId, assetId);
        r.consumer = publisher;
        receipts.recordJob(r, _sign(providerKey, r));
        return _proofOne(r);
    }
}
