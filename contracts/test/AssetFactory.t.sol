// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {AssetFactory} from "../src/AssetFactory.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";
import {IDataNFT} from "../src/interfaces/IDataNFT.sol";
import {IComputeReceipts} from "../src/interfaces/IComputeReceipts.sol";

contract AssetFactoryTest is CoveFixture {
    function test_constructor_exposesWiring() public view {
        vm.assertEq(factory.dataNFT(), address(dataNFT));
        vm.assertEq(factory.datatokenImplementation(), address(datatokenImplementation));
        vm.assertEq(factory.exchange(), address(exchange));
        vm.assertEq(factory.dispenser(), address(dispenser));
        vm.assertEq(factory.MAX_SERVICES(), 16);
    }

    function test_constructor_revertsIfTheCollectionPointsElsewhere() public {
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryMiswired.selector, address(dataNFT)));
        new AssetFactory(address(dataNFT), address(datatokenImplementation), address(exchange), address(dispenser));
    }

    function test_publish_withoutPricing_mintsToThePublisher() public {
        IAssetFactory.PublishParams memory p = _params(50 * ONE);
        vm.expectEmit(true, true, false, true, address(factory));
        emit IAssetFactory.AssetPublished(
            1, publisher, address(0), p.kind, CID, DOC_HASH, IAssetFactory.Pricing.None, 0, 50 * ONE
        );
        (uint256 assetId, Datatoken dt, uint256 pricingId) = _publish(p);
        vm.assertEq(assetId, 1);
        vm.assertEq(pricingId, 0);
        vm.assertEq(dataNFT.ownerOf(assetId), publisher);
        vm.assertEq(dataNFT.datatokenOf(assetId), address(dt));
        vm.assertEq(dt.assetId(), assetId);
        vm.assertEq(dt.balanceOf(publisher), 50 * ONE);
        vm.assertEq(dt.paymentCollector(), publisher);
    }

    function test_publish_emitsTheDatatokenAddress() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        address predicted = vm.computeCreateAddress(address(factory), vm.getNonce(address(factory)));
        vm.expectEmit(address(factory));
        emit IAssetFactory.AssetPublished(
            1, publisher, predicted, p.kind, CID, DOC_HASH, IAssetFactory.Pricing.None, 0, ONE
        );
        _publish(p);
    }

    function test_publish_usesTheGivenPaymentCollector() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.paymentCollector = marketplace;
        (, Datatoken dt,) = _publish(p);
        vm.assertEq(dt.paymentCollector(), marketplace);
    }

    function test_publish_withFixedRate_depositsTheSupply() public {
        (, Datatoken dt, uint256 offerId) = _publish(_fixedRateParams(70 * ONE, 3 * ONE, 0));
        vm.assertEq(dt.balanceOf(address(exchange)), 70 * ONE);
        vm.assertEq(dt.balanceOf(publisher), 0);
        vm.assertEq(exchange.getOffer(offerId).owner, publisher);
        vm.assertEq(uint256(exchange.getOffer(offerId).deposit), 70 * ONE);
    }

    function test_publish_withDispenser_depositsTheSupply() public {
        IAssetFactory.PublishParams memory p = _params(9 * ONE);
        p.pricing = IAssetFactory.Pricing.Dispenser;
        p.dispenser = IAssetFactory.DispenserParams({maxPerAddress: ONE, maxTotal: 0});
        (, Datatoken dt, uint256 pricingId) = _publish(p);
        vm.assertEq(pricingId, 0);
        vm.assertEq(dt.balanceOf(address(dispenser)), 9 * ONE);
        vm.assertEq(dispenser.getEntry(address(dt)).owner, publisher);
    }

    function test_publish_modelWithLineage() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job"));
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.kind = IDataNFT.AssetKind.Model;
        p.parents = new IComputeReceipts.JobProof[](1);
        p.parents[0] = parent;
        uint256 expectedId = dataNFT.nextAssetId();
        vm.expectEmit(address(dataNFT));
        emit IDataNFT.LineageRecorded(expectedId, _jobId("job"), parent.root);
        (uint256 assetId,,) = _publish(p);
        vm.assertTrue(dataNFT.hasLineage(assetId));
    }

    /// @dev The publisher (msg.sender of publish) is the one lineage checks: another account's publish of the same
    /// parents is refused.
    function test_publish_lineageIsCheckedAgainstTheCaller() public {
        IComputeReceipts.JobProof memory parent = _recordedParent(_jobId("job"));
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.kind = IDataNFT.AssetKind.Model;
        p.parents = new IComputeReceipts.JobProof[](1);
        p.parents[0] = parent;
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IDataNFT.DataNFTNotParentJobConsumer.selector, _jobId("job"), publisher, stranger)
        );
        factory.publish(p);
    }

    function test_publish_marksTheComputeServices() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        uint32[] memory timeouts = new uint32[](16);
        for (uint256 i; i < 16; ++i) {
            timeouts[i] = uint32(1 + i);
        }
        p.serviceTimeouts = timeouts;
        p.computeServices = 0x8005; // services 0, 2 and 15
        (, Datatoken dt,) = _publish(p);
        for (uint256 i; i < 16; ++i) {
            vm.assertEq(dt.isComputeService(i), i == 0 || i == 2 || i == 15);
            // The flag shares the packed word with the timeout and leaves it intact.
            vm.assertEq(dt.serviceTimeout(i), 1 + i);
        }
    }

    function test_publish_revertsIfAComputeBitIsPastTheLastService() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.computeServices = 0x4; // service 2 of 2 (ids 0, 1)
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 2));
        factory.publish(p);
        p.computeServices = 0x8000;
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 2));
        factory.publish(p);
        p.computeServices = 0x3; // both services: fine
        (, Datatoken dt,) = _publish(p);
        vm.assertTrue(dt.isComputeService(1));
    }

    /// @dev The top bit of a packed service is its compute flag, so a timeout must fit in 31 bits.
    function test_publish_revertsIfATimeoutReachesTwoToThe31() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.serviceTimeouts[1] = uint32(1 << 31);
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 2));
        factory.publish(p);
        p.serviceTimeouts[1] = type(uint32).max;
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 2));
        factory.publish(p);
        p.serviceTimeouts[1] = uint32((1 << 31) - 1);
        (, Datatoken dt,) = _publish(p);
        vm.assertEq(dt.serviceTimeout(1), (1 << 31) - 1);
        vm.assertFalse(dt.isComputeService(1));
    }

    function test_publish_revertsIfNameEmptyOrTooLong() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.name = "";
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidTokenName.selector, 0, 4));
        factory.publish(p);
        p.name = string(new bytes(65));
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidTokenName.selector, 65, 4));
        factory.publish(p);
    }

    function test_publish_revertsIfSymbolEmptyOrTooLong() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.symbol = "";
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidTokenName.selector, 17, 0));
        factory.publish(p);
        p.symbol = string(new bytes(33));
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidTokenName.selector, 17, 33));
        factory.publish(p);
    }

    function test_publish_revertsIfNoServices() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.serviceTimeouts = new uint32[](0);
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 0));
        factory.publish(p);
    }

    function test_publish_revertsIfTooManyServices() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.serviceTimeouts = new uint32[](17);
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 17));
        factory.publish(p);
    }

    function test_publish_revertsIfATimeoutIsZero() public {
        IAssetFactory.PublishParams memory p = _params(ONE);
        p.serviceTimeouts[1] = 0;
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryInvalidServices.selector, 2));
        factory.publish(p);
    }

    function test_publish_revertsIfPricedWithoutSupply() public {
        IAssetFactory.PublishParams memory p = _fixedRateParams(0, ONE, 0);
        vm.expectRevert(abi.encodeWithSelector(IAssetFactory.AssetFactoryNothingToList.selector));
        factory.publish(p);
    }

    function test_publish_sequentialAssetsGetDistinctDatatokens() public {
        (uint256 a, Datatoken da) = _publishDataset();
        (uint256 b, Datatoken db) = _publishDataset();
        vm.assertEq(b, a + 1);
        vm.assertTrue(address(da) != address(db));
        vm.assertEq(db.assetId(), b);
    }
}
