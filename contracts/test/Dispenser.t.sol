// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IDispenser} from "../src/interfaces/IDispenser.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";
import {MockFeeOnTransferToken} from "./mocks/MockFeeOnTransferToken.sol";

contract DispenserTest is CoveFixture {
    Datatoken internal dt;

    function setUp() public override {
        super.setUp();
        // 10 tokens deposited; 2 per address; 5 in all.
        dt = _publishFree(10 * ONE, 2 * ONE, 5 * ONE);
    }

    function test_createFor_viaPublish() public view {
        IDispenser.Entry memory e = dispenser.getEntry(address(dt));
        vm.assertEq(e.owner, publisher);
        vm.assertTrue(e.active);
        vm.assertEq(uint256(e.maxPerAddress), 2 * ONE);
        vm.assertEq(uint256(e.maxTotal), 5 * ONE);
        vm.assertEq(uint256(e.balance), 10 * ONE);
        vm.assertEq(dt.balanceOf(address(dispenser)), 10 * ONE);
    }

    function test_createFor_revertsIfNotFactory() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserOnlyFactory.selector, address(this)));
        dispenser.createFor(publisher, _dispenserParams(address(dt), ONE, 0, 0));
    }

    function test_create_pullsTheDeposit() public {
        (, Datatoken other) = _publishDataset();
        vm.startPrank(publisher);
        other.approve(address(dispenser), 4 * ONE);
        vm.expectEmit(address(dispenser));
        emit IDispenser.DispenserCreated(address(other), publisher, ONE, 0, 4 * ONE);
        dispenser.create(_dispenserParams(address(other), ONE, 0, 4 * ONE));
        vm.stopPrank();
        vm.assertEq(other.balanceOf(address(dispenser)), 4 * ONE);
    }

    /// @dev Issue 12: anyone could create the dispenser entry of any datatoken with a zero deposit, and as there is
    /// one entry per datatoken, the asset's owner was locked out of giving it away for good.
    function test_attack_strangerCreatesTheDispenserOfSomeoneElsesDatatoken() public {
        (, Datatoken other) = _publishDataset();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserNotAssetOwner.selector, address(other), stranger));
        dispenser.create(_dispenserParams(address(other), ONE, 0, 0));
        // The owner still can.
        vm.prank(publisher);
        dispenser.create(_dispenserParams(address(other), ONE, 0, 0));
        vm.assertEq(dispenser.getEntry(address(other)).owner, publisher);
    }

    /// @dev Issue 12: selling the DataNFT left the dispenser (and its deposit) with the seller. The entry follows
    /// the asset's current owner: the buyer manages it and withdraws the deposit; the seller no longer can.
    function test_attack_saleLeavesTheDispenserWithTheSeller() public {
        uint256 assetId = dt.assetId();
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, buyer, assetId);
        vm.assertEq(dispenser.getEntry(address(dt)).owner, buyer);
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserNotOwner.selector, address(dt), publisher));
        dispenser.withdraw(address(dt), ONE);
        vm.startPrank(buyer);
        dispenser.withdraw(address(dt), 4 * ONE);
        dispenser.setActive(address(dt), false);
        vm.stopPrank();
        vm.assertEq(dt.balanceOf(buyer), 4 * ONE);
    }

    function test_create_revertsIfNotACoveDatatoken() public {
        MockFeeOnTransferToken fot = new MockFeeOnTransferToken(100);
        vm.expectRevert();
        dispenser.create(_dispenserParams(address(fot), ONE, 0, 0));
    }

    function test_create_revertsIfExists() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserAlreadyExists.selector, address(dt)));
        dispenser.create(_dispenserParams(address(dt), ONE, 0, 0));
    }

    function test_create_revertsIfZeroDatatoken() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidAddress.selector));
        dispenser.create(_dispenserParams(address(0), ONE, 0, 0));
    }

    function test_create_revertsIfPerAddressCapIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidCaps.selector, 0, 0));
        dispenser.create(_dispenserParams(address(0xD7), 0, 0, 0));
    }

    function test_create_revertsIfDepositAboveUint128() public {
        uint256 big = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidAmount.selector, big));
        dispenser.create(_dispenserParams(address(0xD7), ONE, 0, big));
    }

    function test_dispense_sendsTokens() public {
        vm.expectEmit(address(dispenser));
        emit IDispenser.Dispensed(address(dt), buyer, ONE);
        vm.prank(buyer);
        dispenser.dispense(address(dt), ONE);
        vm.assertEq(dt.balanceOf(buyer), ONE);
        vm.assertEq(dispenser.received(address(dt), buyer), ONE);
        vm.assertEq(uint256(dispenser.getEntry(address(dt)).dispensed), ONE);
    }

    function test_dispense_revertsIfPerAddressCapExceeded() public {
        vm.startPrank(buyer);
        dispenser.dispense(address(dt), 2 * ONE);
        vm.expectRevert(
            abi.encodeWithSelector(IDispenser.DispenserPerAddressCapExceeded.selector, buyer, 2 * ONE, 1, 2 * ONE)
        );
        dispenser.dispense(address(dt), 1);
        vm.stopPrank();
    }

    function test_dispense_revertsIfTotalCapExceeded() public {
        for (uint160 i = 1; i <= 2; ++i) {
            vm.prank(address(0x5000 + i));
            dispenser.dispense(address(dt), 2 * ONE);
        }
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDispenser.DispenserTotalCapExceeded.selector, 4 * ONE, 2 * ONE, 5 * ONE)
        );
        dispenser.dispense(address(dt), 2 * ONE);
    }

    function test_dispense_revertsIfDepositExhausted() public {
        Datatoken small = _publishFree(ONE, 2 * ONE, 0);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInsufficientBalance.selector, ONE, 2 * ONE));
        dispenser.dispense(address(small), 2 * ONE);
    }

    function test_dispense_revertsIfInactive() public {
        vm.prank(publisher);
        dispenser.setActive(address(dt), false);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInactive.selector, address(dt)));
        dispenser.dispense(address(dt), ONE);
    }

    function test_dispense_revertsIfUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserUnknown.selector, address(0xD7)));
        dispenser.dispense(address(0xD7), ONE);
    }

    function test_dispense_revertsIfZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidAmount.selector, 0));
        dispenser.dispense(address(dt), 0);
    }

    function test_setActive_byOwnerEmits() public {
        vm.expectEmit(address(dispenser));
        emit IDispenser.ActiveSet(address(dt), false);
        vm.prank(publisher);
        dispenser.setActive(address(dt), false);
        vm.assertFalse(dispenser.getEntry(address(dt)).active);
    }

    function test_setActive_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserNotOwner.selector, address(dt), stranger));
        dispenser.setActive(address(dt), false);
    }

    function test_fund_addsToTheDeposit() public {
        vm.startPrank(publisher);
        dt.mint(publisher, 3 * ONE);
        dt.approve(address(dispenser), 3 * ONE);
        vm.expectEmit(address(dispenser));
        emit IDispenser.Funded(address(dt), 3 * ONE);
        dispenser.fund(address(dt), 3 * ONE);
        vm.stopPrank();
        vm.assertEq(uint256(dispenser.getEntry(address(dt)).balance), 13 * ONE);
    }

    function test_fund_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidAmount.selector, 0));
        dispenser.fund(address(dt), 0);
    }

    function test_fund_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserNotOwner.selector, address(dt), stranger));
        dispenser.fund(address(dt), ONE);
    }

    function test_withdraw_returnsTokensToTheOwner() public {
        vm.expectEmit(address(dispenser));
        emit IDispenser.Withdrawn(address(dt), 4 * ONE);
        vm.prank(publisher);
        dispenser.withdraw(address(dt), 4 * ONE);
        vm.assertEq(dt.balanceOf(publisher), 4 * ONE);
    }

    function test_withdraw_revertsIfAboveBalance() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInsufficientBalance.selector, 10 * ONE, 11 * ONE));
        dispenser.withdraw(address(dt), 11 * ONE);
    }

    function test_withdraw_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserInvalidAmount.selector, 0));
        dispenser.withdraw(address(dt), 0);
    }

    function test_withdraw_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDispenser.DispenserNotOwner.selector, address(dt), stranger));
        dispenser.withdraw(address(dt), ONE);
    }

    function testFuzz_dispense_neverExceedsCaps(uint256 perAddress, uint256 total, uint256[6] memory asks) public {
        perAddress = bound(perAddress, 1, 5 * ONE);
        total = bound(total, 0, 8 * ONE);
        Datatoken free = _publishFree(10 * ONE, perAddress, total);
        for (uint256 i; i < asks.length; ++i) {
            address who = address(uint160(0x7000 + (i % 3)));
            uint256 ask = bound(asks[i], 1, 3 * ONE);
            IDispenser.Entry memory e = dispenser.getEntry(address(free));
            uint256 got = dispenser.received(address(free), who);
            bool fits = got + ask <= perAddress && (total == 0 || e.dispensed + ask <= total) && ask <= e.balance;
            vm.prank(who);
            if (!fits) vm.expectRevert();
            dispenser.dispense(address(free), ask);
        }
        IDispenser.Entry memory end = dispenser.getEntry(address(free));
        if (total != 0) vm.assertLe(end.dispensed, total);
        for (uint256 k; k < 3; ++k) {
            vm.assertLe(dispenser.received(address(free), address(uint160(0x7000 + k))), perAddress);
        }
        vm.assertEq(uint256(end.balance) + end.dispensed, 10 * ONE);
        vm.assertEq(free.balanceOf(address(dispenser)), end.balance);
    }

    function _publishFree(uint256 supply, uint256 perAddress, uint256 total) internal returns (Datatoken token) {
        IAssetFactory.PublishParams memory p = _params(supply);
        p.pricing = IAssetFactory.Pricing.Dispenser;
        p.dispenser = IAssetFactory.DispenserParams({maxPerAddress: perAddress, maxTotal: total});
        (, token,) = _publish(p);
    }

    function _dispenserParams(address datatoken, uint256 perAddress, uint256 total, uint256 deposit)
        internal
        pure
        returns (IDispenser.DispenserParams memory)
    {
        return IDispenser.DispenserParams({
            datatoken: datatoken, maxPerAddress: perAddress, maxTotal: total, deposit: deposit
        });
    }
}
