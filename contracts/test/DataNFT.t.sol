// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {DataNFT} from "../src/DataNFT.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IDataNFT} from "../src/interfaces/IDataNFT.sol";
import {IComputeReceipts} from "../src/interfaces/IComputeReceipts.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";
import {Merkle} from "./utils/Merkle.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

contract DataNFTTest is CoveFixture {
    address internal manager = address(0xA11CE);

    function test_constructor_setsWiring() public view {
        vm.assertEq(dataNFT.factory(), address(factory));
        vm.assertEq(dataNFT.computeReceipts(), address(receipts));
        vm.assertEq(dataNFT.name(), "Cove Data");
        vm.assertEq(dataNFT.symbol(), "COVE");
    }

    function test_mint_storesDocumentKindAndDatatoken() public {
        (uint256 assetId, Datatoken datatoken) = _publishDataset();
        vm.assertEq(assetId, 1);
        vm.assertEq(dataNFT.nextAssetId(), 2);
        vm.assertEq(dataNFT.ownerOf(assetId), publisher);
        vm.assertEq(dataNFT.tokenURI(assetId), string.concat("ipfs://", CID));
        vm.assertEq(dataNFT.cidOf(assetId), CID);
        vm.assertEq(dataNFT.metadataHash(assetId), DOC_HASH);
        vm.assertEq(uint256(dataNFT.kindOf(assetId)), uint256(IDataNFT.AssetKind.Dataset));
        vm.assertEq(dataNFT.datatokenOf(assetId), address(datatoken));
        vm.assertFalse(dataNFT.hasLineage(assetId));
    }

    function test_mint_storesAHashThatDiffersFromTheCidDigest() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.cid = CID_DAG_PB;
        p.metadataHash = keccak256("other");
        (uint256 assetId,,) = _publish(p);
        vm.assertEq(dataNFT.metadataHash(assetId), keccak256("other"));
        vm.assertEq(dataNFT.cidOf(assetId), CID_DAG_PB);
    }

    function test_mint_revertsIfNotFactory() public {
        IDataNFT.MintParams memory m = _mintParams();
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTOnlyFactory.selector, address(this)));
        dataNFT.mint(m);
    }

    function test_mint_revertsIfZeroDatatoken() public {
        IDataNFT.MintParams memory m = _mintParams();
        m.datatoken = address(0);
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTInvalidDatatoken.selector));
        dataNFT.mint(m);
    }

    function test_mint_revertsIfInvalidCid() public {
        IDataNFT.MintParams memory m = _mintParams();
        m.cid = "QmNotBase32";
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTInvalidCid.selector, "QmNotBase32"));
        dataNFT.mint(m);
    }

    function test_mint_revertsIfZeroMetadataHash() public {
        IDataNFT.MintParams memory m = _mintParams();
        m.metadataHash = bytes32(0);
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTInvalidMetadataHash.selector));
        dataNFT.mint(m);
    }

    function test_mint_recordsLineageOfAModel() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job-1"));
        IDataNFT.MintParams memory m = _modelOf(parent);
        uint256 expectedId = dataNFT.nextAssetId();
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.LineageRecorded(expectedId, _jobId("job-1"), parent.root);
        vm.prank(address(factory));
        uint256 assetId = dataNFT.mint(m);
        vm.assertTrue(dataNFT.hasLineage(assetId));
        vm.assertEq(uint256(dataNFT.kindOf(assetId)), uint256(IDataNFT.AssetKind.Model));
    }

    /// @dev A model without lineage keeps an editable document; lineage is only for models that name parents.
    function test_mint_modelWithoutParentsHasNoLineage() public {
        IDataNFT.MintParams memory m = _mintParams();
        m.kind = IDataNFT.AssetKind.Model;
        vm.prank(address(factory));
        uint256 assetId = dataNFT.mint(m);
        vm.assertFalse(dataNFT.hasLineage(assetId));
        vm.prank(publisher);
        dataNFT.setMetadata(assetId, CID_DAG_PB, keccak256("v2"));
        vm.assertEq(dataNFT.metadataHash(assetId), keccak256("v2"));
    }

    /// @dev Issue 12: any receipt was accepted as a parent, a failed job included: "derived from" meant only "this
    /// job exists". A parent must be a job that succeeded.
    function test_attack_modelCitesAFailedJob() public {
        IComputeReceipts.JobProof memory parent = _recordedParentWithStatus(_jobId("failed"), 1);
        vm.assertTrue(receipts.isRecorded(parent));
        IDataNFT.MintParams memory m = _modelOf(parent);
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTParentJobNotSucceeded.selector, _jobId("failed"), 1));
        dataNFT.mint(m);

        // Nor can the publisher claim it succeeded: the status is in the signed leaf.
        m.parents[0].status = 0;
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnknownParentJob.selector, _jobId("failed")));
        dataNFT.mint(m);
    }

    /// @dev Issue 12: the same job could be listed twice as a parent.
    function test_attack_modelCitesTheSameJobTwice() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job-1"));
        IDataNFT.MintParams memory m = _modelOf(parent);
        m.parents = new IComputeReceipts.JobProof[](2);
        m.parents[0] = parent;
        m.parents[1] = parent;
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTDuplicateParentJob.selector, _jobId("job-1")));
        dataNFT.mint(m);
    }

    /// @dev Issue 12: a model could name any recorded job as its parent, a stranger's included (lineage by id only).
    /// Only the job's consumer, who bought and received its results, may cite it.
    function test_attack_modelCitesAStrangersJob() public {
        // A job bought by `consumer`, recorded honestly.
        (uint256 assetId, bytes32 orderId) = _publishAndOrder();
        IComputeReceipts.Receipt memory r = _receipt(_jobId("theirs"), orderId, assetId);
        receipts.recordJob(r, _sign(providerKey, r));
        IDataNFT.MintParams memory m = _modelOf(_proofOne(r));
        vm.prank(address(factory));
        vm.expectRevert(
            abi.encodeWithSelector(IDataNFT.DataNFTNotParentJobConsumer.selector, _jobId("theirs"), consumer, publisher)
        );
        dataNFT.mint(m);

        // Claiming to be the consumer breaks the proof: the consumer is in the signed leaf.
        m.parents[0].consumer = publisher;
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnknownParentJob.selector, _jobId("theirs")));
        dataNFT.mint(m);

        // The consumer may cite it.
        m = _modelOf(_proofOne(r));
        m.to = consumer;
        vm.prank(address(factory));
        uint256 model = dataNFT.mint(m);
        vm.assertTrue(dataNFT.hasLineage(model));
    }

    /// @dev Issue 12: a model's owner could swap its document after publish, so the lineage vouched for bytes that
    /// were no longer there. A model with lineage has a frozen document, for its owner, its manager and any buyer.
    function test_attack_swapTheDocumentOfAModelWithLineage() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job-1"));
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.kind = IDataNFT.AssetKind.Model;
        p.parents = new IComputeReceipts.JobProof[](1);
        p.parents[0] = parent;
        (uint256 model,,) = _publish(p);
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTLineageFrozen.selector, model));
        dataNFT.setMetadata(model, CID_DAG_PB, keccak256("swapped weights"));

        vm.prank(publisher);
        dataNFT.setMetadataManager(model, manager);
        vm.prank(manager);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTLineageFrozen.selector, model));
        dataNFT.setMetadata(model, CID_DAG_PB, keccak256("swapped weights"));

        vm.prank(publisher);
        dataNFT.transferFrom(publisher, buyer, model);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTLineageFrozen.selector, model));
        dataNFT.setMetadata(model, CID_DAG_PB, keccak256("swapped weights"));

        vm.assertEq(dataNFT.cidOf(model), CID);
        vm.assertEq(dataNFT.metadataHash(model), DOC_HASH);
    }

    /// @dev Issue 12: "which models came from this job" must be one log query, so the job id is an indexed topic.
    /// The three parents come from one batch, each with its Merkle path.
    function test_mint_emitsOneLineageEventPerParentIndexedByJob() public {
        (IComputeReceipts.Receipt[] memory rs, bytes32 root) = _recordedBatchOfPublisher(3);
        IDataNFT.MintParams memory m = _mintParams();
        m.kind = IDataNFT.AssetKind.Model;
        m.parents = new IComputeReceipts.JobProof[](3);
        for (uint256 i; i < 3; ++i) {
            m.parents[i] = _proofOf(rs, i);
        }
        uint256 expectedId = dataNFT.nextAssetId();
        for (uint256 i; i < 3; ++i) {
            vm.expectEmit(true, true, true, true, address(dataNFT));
            emit IDataNFT.LineageRecorded(expectedId, rs[i].jobId, root);
        }
        vm.prank(address(factory));
        dataNFT.mint(m);
        vm.assertTrue(dataNFT.hasLineage(expectedId));
    }

    /// @dev A parent recorded inside a batch of ten, proven by its path.
    function test_mint_acceptsABatchedParentWithItsProof() public {
        (IComputeReceipts.Receipt[] memory rs, bytes32 root) = _recordedBatchOfPublisher(10);
        IComputeReceipts.JobProof memory parent = _proofOf(rs, 7);
        vm.assertEq(parent.root, root);
        vm.assertTrue(parent.proof.length > 0);
        uint256 expectedId = dataNFT.nextAssetId();
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.LineageRecorded(expectedId, rs[7].jobId, root);
        vm.prank(address(factory));
        dataNFT.mint(_modelOf(parent));

        // The same leaf with a sibling's path does not prove it.
        parent.proof = _proofOf(rs, 6).proof;
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnknownParentJob.selector, rs[7].jobId));
        dataNFT.mint(_modelOf(parent));
    }

    function test_mint_acceptsTheMaximumNumberOfParents() public {
        (IComputeReceipts.Receipt[] memory rs,) = _recordedBatchOfPublisher(16);
        IDataNFT.MintParams memory m = _mintParams();
        m.kind = IDataNFT.AssetKind.Model;
        m.parents = new IComputeReceipts.JobProof[](16);
        for (uint256 i; i < 16; ++i) {
            m.parents[i] = _proofOf(rs, i);
        }
        vm.prank(address(factory));
        uint256 model = dataNFT.mint(m);
        vm.assertTrue(dataNFT.hasLineage(model));
    }

    function test_mint_revertsIfLineageOnANonModel() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job-1"));
        IDataNFT.MintParams memory m = _mintParams();
        m.parents = new IComputeReceipts.JobProof[](1);
        m.parents[0] = parent;
        vm.prank(address(factory));
        vm.expectRevert(
            abi.encodeWithSelector(IDataNFT.DataNFTLineageOnlyForModels.selector, IDataNFT.AssetKind.Dataset)
        );
        dataNFT.mint(m);
    }

    function test_mint_revertsIfTooManyParents() public {
        IDataNFT.MintParams memory m = _mintParams();
        m.kind = IDataNFT.AssetKind.Model;
        m.parents = new IComputeReceipts.JobProof[](17);
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTTooManyParents.selector, 17, 16));
        dataNFT.mint(m);
    }

    function test_mint_revertsIfAParentJobHasNoReceipt() public {
        IComputeReceipts.JobProof memory never;
        never.root = keccak256("never recorded");
        never.receiptHash = keccak256("receipt");
        never.jobId = _jobId("never");
        never.consumer = publisher;
        IDataNFT.MintParams memory m = _modelOf(never);
        vm.prank(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnknownParentJob.selector, _jobId("never")));
        dataNFT.mint(m);
    }

    function test_setMetadata_byOwnerEmitsBothEvents() public {
        (uint256 assetId,) = _publishDataset();
        bytes32 newHash = keccak256("v2");
        vm.expectEmit(address(dataNFT));
        emit IERC4906.MetadataUpdate(assetId);
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.MetadataDocumentUpdated(assetId, newHash, CID_DAG_PB, publisher);
        vm.prank(publisher);
        dataNFT.setMetadata(assetId, CID_DAG_PB, newHash);
        vm.assertEq(dataNFT.cidOf(assetId), CID_DAG_PB);
        vm.assertEq(dataNFT.metadataHash(assetId), newHash);
    }

    function test_setMetadata_byManager() public {
        (uint256 assetId,) = _publishDataset();
        vm.prank(publisher);
        dataNFT.setMetadataManager(assetId, manager);
        vm.prank(manager);
        dataNFT.setMetadata(assetId, CID_DAG_PB, keccak256("v2"));
        vm.assertEq(dataNFT.metadataHash(assetId), keccak256("v2"));
    }

    function test_setMetadata_revertsIfStranger() public {
        (uint256 assetId,) = _publishDataset();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnauthorized.selector, assetId, stranger));
        dataNFT.setMetadata(assetId, CID_DAG_PB, keccak256("v2"));
    }

    function test_setMetadata_revertsIfUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 7));
        dataNFT.setMetadata(7, CID, DOC_HASH);
    }

    function test_setMetadata_revertsIfInvalidCid() public {
        (uint256 assetId,) = _publishDataset();
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTInvalidCid.selector, "bad"));
        dataNFT.setMetadata(assetId, "bad", keccak256("v2"));
    }

    function test_setMetadataManager_emitsAndIsReadable() public {
        (uint256 assetId,) = _publishDataset();
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.MetadataManagerSet(assetId, manager);
        vm.prank(publisher);
        dataNFT.setMetadataManager(assetId, manager);
        vm.assertEq(dataNFT.metadataManager(assetId), manager);
    }

    function test_setMetadataManager_revertsIfNotOwner() public {
        (uint256 assetId,) = _publishDataset();
        vm.prank(manager);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnauthorized.selector, assetId, manager));
        dataNFT.setMetadataManager(assetId, manager);
    }

    function test_transfer_clearsTheMetadataManager() public {
        (uint256 assetId,) = _publishDataset();
        vm.startPrank(publisher);
        dataNFT.setMetadataManager(assetId, manager);
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.MetadataManagerSet(assetId, address(0));
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.stopPrank();
        vm.assertEq(dataNFT.metadataManager(assetId), address(0));
        vm.prank(manager);
        vm.expectRevert(abi.encodeWithSelector(IDataNFT.DataNFTUnauthorized.selector, assetId, manager));
        dataNFT.setMetadata(assetId, CID_DAG_PB, keccak256("v2"));
    }

    function test_creatorOf_isThePublisherAtMint() public {
        (uint256 assetId,) = _publishDataset();
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
        IDataNFT.MintParams memory m = _mintParams();
        m.to = stranger;
        vm.prank(address(factory));
        uint256 other = dataNFT.mint(m);
        vm.assertEq(dataNFT.creatorOf(other), stranger);
    }

    function test_creatorOf_unchangedByTransfers() public {
        (uint256 assetId,) = _publishDataset();
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.assertEq(dataNFT.ownerOf(assetId), buyer);
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
        vm.prank(buyer);
        dataNFT.transferFrom(buyer, stranger, assetId);
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
        // Back to the publisher and away again: still the publisher, never the intermediate owners.
        vm.prank(stranger);
        dataNFT.transferFrom(stranger, publisher, assetId);
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, consumer, assetId);
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
    }

    function test_creatorOf_unchangedBySelfTransfer() public {
        (uint256 assetId,) = _publishDataset();
        vm.startPrank(publisher);
        dataNFT.transferFrom(publisher, publisher, assetId);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.stopPrank();
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
    }

    function testFuzz_creatorOf_survivesAChainOfOwners(address a, address b) public {
        vm.assume(a != address(0) && b != address(0));
        (uint256 assetId,) = _publishDataset();
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, a, assetId);
        vm.prank(a);
        dataNFT.transferFrom(a, b, assetId);
        vm.assertEq(dataNFT.ownerOf(assetId), b);
        vm.assertEq(dataNFT.creatorOf(assetId), publisher);
    }

    function test_views_revertIfUnknownAsset() public {
        bytes memory err = abi.encodeWithSelector(IDataNFT.DataNFTUnknownAsset.selector, 9);
        vm.expectRevert(err);
        dataNFT.cidOf(9);
        vm.expectRevert(err);
        dataNFT.tokenURI(9);
        vm.expectRevert(err);
        dataNFT.metadataHash(9);
        vm.expectRevert(err);
        dataNFT.kindOf(9);
        vm.expectRevert(err);
        dataNFT.datatokenOf(9);
        vm.expectRevert(err);
        dataNFT.hasLineage(9);
        vm.expectRevert(err);
        dataNFT.datatokenAndKindOf(9);
        vm.expectRevert(err);
        dataNFT.creatorOf(9);
    }

    function test_supportsInterface_erc721AndErc4906() public view {
        vm.assertTrue(dataNFT.supportsInterface(0x80ac58cd));
        vm.assertTrue(dataNFT.supportsInterface(0x5b5e139f));
        vm.assertTrue(dataNFT.supportsInterface(0x49064906));
        vm.assertFalse(dataNFT.supportsInterface(0xdeadbeef));
    }

    function _publishAndOrder() internal returns (uint256 assetId, bytes32 orderId) {
        Datatoken dt;
        (assetId, dt) = _publishDataset();
        _registerProvider();
        orderId = _order(dt, buyer, provider);
    }

    /// @dev A job bought by the publisher with status `status`, recorded alone; its proof.
    function _recordedParentWithStatus(bytes32 jobId, uint8 status)
        internal
        returns (IComputeReceipts.JobProof memory)
    {
        (uint256 assetId, Datatoken dt) = _publishDataset();
        _registerProvider();
        vm.prank(publisher);
        bytes32 orderId = dt.startOrder(publisher, 0, provider);
        IComputeReceipts.Receipt memory r = _receipt(jobId, orderId, assetId);
        r.consumer = publisher;
        r.status = status;
        receipts.recordJob(r, _sign(providerKey, r));
        return _proofOne(r);
    }

    /// @dev `n` succeeded jobs bought by the publisher, recorded in one batch.
    function _recordedBatchOfPublisher(uint256 n)
        internal
        returns (IComputeReceipts.Receipt[] memory rs, bytes32 root)
    {
        (uint256 assetId, Datatoken dt) = _publishDataset();
        _registerProvider();
        rs = _batch(dt, assetId, n, "parents");
        for (uint256 i; i < n; ++i) {
            rs[i].consumer = publisher;
        }
        receipts.recordBatch(rs, _signBatch(providerKey, rs));
        root = Merkle.root(_leaves(rs));
    }

    function _modelOf(IComputeReceipts.JobProof memory parent) internal view returns (IDataNFT.MintParams memory m) {
        m = _mintParams();
        m.kind = IDataNFT.AssetKind.Model;
        m.parents = new IComputeReceipts.JobProof[](1);
        m.parents[0] = parent;
    }

    function _mintParams() internal view returns (IDataNFT.MintParams memory m) {
        m.to = publisher;
        m.kind = IDataNFT.AssetKind.Dataset;
        m.datatoken = address(0xD7);
        m.cid = CID;
        m.metadataHash = DOC_HASH;
    }
}
