// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "./utils/Vm.sol";
import {CoveFixture} from "./utils/CoveFixture.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {IFixedRateExchange} from "../src/interfaces/IFixedRateExchange.sol";
import {IAssetFactory} from "../src/interfaces/IAssetFactory.sol";
import {MockFeeOnTransferToken} from "./mocks/MockFeeOnTransferToken.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";
import {ReentrantBuyer} from "./mocks/ReentrantBuyer.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

contract FixedRateExchangeTest is CoveFixture {
    Datatoken internal dt;
    uint256 internal offerId;

    function setUp() public override {
        super.setUp();
        // 100 tokens deposited, 2 base tokens each, 1% marketplace fee.
        (, dt, offerId) = _publish(_fixedRateParams(100 * ONE, 2 * ONE, 100));
        baseToken.mint(buyer, 1000 * ONE);
        vm.prank(buyer);
        baseToken.approve(address(exchange), type(uint256).max);
        vm.deal(buyer, 1000 ether);
    }

    // ------------------------------------------------------------ offers

    function test_offerId_carriesTheDatatoken() public view {
        vm.assertEq(address(uint160(offerId >> 96)), address(dt));
        vm.assertEq(offerId & type(uint96).max, exchange.offerCount());
        IFixedRateExchange.Offer memory o = exchange.getOffer(offerId);
        vm.assertEq(o.datatoken, address(dt));
        vm.assertEq(o.owner, publisher);
        vm.assertEq(o.baseToken, address(baseToken));
        vm.assertEq(uint256(o.rate), 2 * ONE);
        vm.assertEq(uint256(o.deposit), 100 * ONE);
        vm.assertEq(uint256(o.feeBps), 100);
        vm.assertEq(o.feeCollector, marketplace);
        vm.assertTrue(o.active);
        vm.assertEq(dt.balanceOf(address(exchange)), 100 * ONE);
    }

    function test_getOffer_unknownIsEmpty() public view {
        vm.assertEq(exchange.getOffer(12_345).owner, address(0));
    }

    function test_createOffer_pullsTheDeposit() public {
        (, Datatoken other) = _publishDataset();
        vm.startPrank(publisher);
        other.approve(address(exchange), 10 * ONE);
        uint256 expectedId = (uint256(uint160(address(other))) << 96) | (exchange.offerCount() + 1);
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.OfferCreated(
            expectedId, address(other), publisher, address(0), 3 * ONE, address(0), 0, 10 * ONE
        );
        uint256 id = exchange.createOffer(_offerParams(address(other), address(0), 3 * ONE, 10 * ONE));
        vm.stopPrank();
        vm.assertEq(id, expectedId);
        vm.assertEq(other.balanceOf(address(exchange)), 10 * ONE);
    }

    function test_createOffer_revertsIfDepositArrivesShort() public {
        MockFeeOnTransferToken fot = new MockFeeOnTransferToken(100);
        fot.mint(publisher, 10 * ONE);
        vm.startPrank(publisher);
        fot.approve(address(exchange), 10 * ONE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFixedRateExchange.FixedRateExchangeTransferMismatch.selector, address(fot), 10 * ONE, 9.9e18
            )
        );
        exchange.createOffer(_offerParams(address(fot), address(baseToken), ONE, 10 * ONE));
        vm.stopPrank();
    }

    function test_createOffer_revertsIfZeroDatatoken() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidAddress.selector));
        exchange.createOffer(_offerParams(address(0), address(baseToken), ONE, 0));
    }

    function test_createOffer_revertsIfRateIsZeroOrTooLarge() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidRate.selector, 0));
        exchange.createOffer(_offerParams(address(dt), address(baseToken), 0, 0));
        uint256 tooLarge = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidRate.selector, tooLarge));
        exchange.createOffer(_offerParams(address(dt), address(baseToken), tooLarge, 0));
    }

    function test_createOffer_revertsIfFeeAboveCap() public {
        IFixedRateExchange.OfferParams memory p = _offerParams(address(dt), address(baseToken), ONE, 0);
        p.feeBps = 1001;
        p.feeCollector = marketplace;
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidFee.selector, 1001, marketplace)
        );
        exchange.createOffer(p);
    }

    function test_createOffer_revertsIfFeeWithoutCollector() public {
        IFixedRateExchange.OfferParams memory p = _offerParams(address(dt), address(baseToken), ONE, 0);
        p.feeBps = 50;
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidFee.selector, 50, address(0)));
        exchange.createOffer(p);
    }

    function test_createOffer_revertsIfDepositAboveUint96() public {
        uint256 big = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidAmount.selector, big));
        exchange.createOffer(_offerParams(address(dt), address(baseToken), ONE, big));
    }

    function test_createOfferFor_revertsIfNotFactory() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeOnlyFactory.selector, address(this)));
        exchange.createOfferFor(stranger, _offerParams(address(dt), address(baseToken), ONE, ONE));
    }

    // ------------------------------------------------------------ buying

    function test_buy_withErc20_splitsPriceAndFee() public {
        // 3 tokens at 2 = 6 base; 1% fee = 0.06.
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.Bought(offerId, buyer, 3 * ONE, 6 * ONE, 0.06e18);
        vm.prank(buyer);
        uint256 cost = exchange.buy(offerId, 3 * ONE, 6.06e18);
        vm.assertEq(cost, 6.06e18);
        vm.assertEq(dt.balanceOf(buyer), 3 * ONE);
        vm.assertEq(baseToken.balanceOf(buyer), 1000 * ONE - 6.06e18);
        vm.assertEq(exchange.claimable(publisher, address(baseToken)), 6 * ONE);
        vm.assertEq(exchange.claimable(marketplace, address(baseToken)), 0.06e18);
        vm.assertEq(uint256(exchange.getOffer(offerId).deposit), 97 * ONE);
    }

    function test_buy_withNativeCoin_refundsTheExcess() public {
        uint256 id = _nativeOffer();
        uint256 before = buyer.balance;
        vm.prank(buyer);
        exchange.buy{value: 5 ether}(id, ONE, 5 ether);
        vm.assertEq(buyer.balance, before - 1 ether);
        vm.assertEq(exchange.claimable(publisher, address(0)), 1 ether);
        vm.assertEq(address(exchange).balance, 1 ether);
    }

    function test_buy_revertsIfNativeValueBelowCost() public {
        uint256 id = _nativeOffer();
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInsufficientValue.selector, 1 ether, 0.5 ether)
        );
        exchange.buy{value: 0.5 ether}(id, ONE, 1 ether);
    }

    function test_buy_revertsIfValueSentToAnErc20Offer() public {
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeUnexpectedValue.selector, 1));
        exchange.buy{value: 1}(offerId, ONE, 10 * ONE);
    }

    function test_buy_revertsIfUnknownOffer() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeUnknownOffer.selector, 42));
        exchange.buy(42, ONE, 10 * ONE);
    }

    function test_buy_revertsIfPaused() public {
        vm.prank(publisher);
        exchange.setActive(offerId, false);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeOfferPaused.selector, offerId));
        exchange.buy(offerId, ONE, 10 * ONE);
    }

    function test_buy_revertsIfZeroAmount() public {
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidAmount.selector, 0));
        exchange.buy(offerId, 0, 10 * ONE);
    }

    function test_buy_revertsIfDepositTooSmall() public {
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFixedRateExchange.FixedRateExchangeInsufficientDeposit.selector, offerId, 100 * ONE, 101 * ONE
            )
        );
        exchange.buy(offerId, 101 * ONE, type(uint256).max);
    }

    function test_buy_revertsIfCostAboveMaxPay() public {
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeSlippage.selector, 2.02e18, 2.02e18 - 1)
        );
        exchange.buy(offerId, ONE, 2.02e18 - 1);
    }

    function test_buy_revertsIfBaseTokenTakesAFee() public {
        MockFeeOnTransferToken fot = new MockFeeOnTransferToken(100);
        IAssetFactory.PublishParams memory p = _fixedRateParams(10 * ONE, ONE, 0);
        p.fixedRate.baseToken = address(fot);
        (,, uint256 id) = _publish(p);
        fot.mint(buyer, 10 * ONE);
        vm.startPrank(buyer);
        fot.approve(address(exchange), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFixedRateExchange.FixedRateExchangeTransferMismatch.selector, address(fot), ONE, 0.99e18
            )
        );
        exchange.buy(id, ONE, ONE);
        vm.stopPrank();
    }

    function test_buy_rejectsReentryFromTheBaseToken() public {
        ReentrantToken re = new ReentrantToken();
        IAssetFactory.PublishParams memory p = _fixedRateParams(10 * ONE, ONE, 0);
        p.fixedRate.baseToken = address(re);
        (,, uint256 id) = _publish(p);
        re.mint(buyer, 10 * ONE);
        re.arm(address(exchange), abi.encodeCall(exchange.buy, (id, ONE, ONE)));
        vm.startPrank(buyer);
        re.approve(address(exchange), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        exchange.buy(id, ONE, ONE);
        vm.stopPrank();
    }

    function test_buy_rejectsReentryFromTheRefund() public {
        uint256 id = _nativeOffer();
        ReentrantBuyer attacker = new ReentrantBuyer(exchange);
        vm.deal(address(attacker), 10 ether);
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        attacker.buy(id, ONE, 2 ether);
    }

    function testFuzz_buy_costMatchesTheFormula(uint256 amount, uint256 rate, uint16 feeBps) public {
        amount = bound(amount, 1, 100 * ONE);
        rate = bound(rate, 1, type(uint96).max);
        feeBps = uint16(bound(feeBps, 0, 1000));
        IAssetFactory.PublishParams memory p = _fixedRateParams(100 * ONE, rate, feeBps);
        (, Datatoken sold, uint256 id) = _publish(p);
        (uint256 price, uint256 fee) = exchange.quote(id, amount);
        // Rounded up, and never more than one unit above the exact value.
        vm.assertGe(price * 1e18, amount * rate);
        vm.assertLt(price * 1e18 - amount * rate, 1e18);
        vm.assertGe(fee * 10_000, price * feeBps);
        vm.assertLt(fee * 10_000 - price * feeBps, 10_000);
        vm.assertGt(price, 0);

        baseToken.mint(buyer, price + fee);
        uint256 before = baseToken.balanceOf(buyer);
        vm.prank(buyer);
        uint256 cost = exchange.buy(id, amount, price + fee);
        vm.assertEq(cost, price + fee);
        // What the buyer paid is exactly what accrued to the owner and the collector.
        vm.assertEq(before - baseToken.balanceOf(buyer), cost);
        vm.assertEq(exchange.claimable(publisher, address(baseToken)), price);
        vm.assertEq(exchange.claimable(marketplace, address(baseToken)), fee);
        vm.assertEq(sold.balanceOf(buyer), amount);
        vm.assertEq(sold.balanceOf(address(exchange)), 100 * ONE - amount);
    }

    function testFuzz_buy_slippageGuard(uint256 amount, uint256 maxPay) public {
        amount = bound(amount, 1, 100 * ONE);
        (uint256 price, uint256 fee) = exchange.quote(offerId, amount);
        maxPay = bound(maxPay, 0, 2 * (price + fee));
        vm.prank(buyer);
        if (price + fee > maxPay) {
            vm.expectRevert(
                abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeSlippage.selector, price + fee, maxPay)
            );
            exchange.buy(offerId, amount, maxPay);
        } else {
            exchange.buy(offerId, amount, maxPay);
            vm.assertEq(dt.balanceOf(buyer), amount);
        }
    }

    // ------------------------------------------------------------ owner functions

    function test_setRate_byOwner() public {
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.RateChanged(offerId, 5 * ONE);
        vm.prank(publisher);
        exchange.setRate(offerId, 5 * ONE);
        (uint256 price,) = exchange.quote(offerId, ONE);
        vm.assertEq(price, 5 * ONE);
    }

    /// @dev Issue 12: selling the DataNFT left the offer, its deposit and its proceeds with the seller. The
    /// publish-time offer follows the asset: after the sale the buyer of the NFT manages it and earns what it sells;
    /// what accrued before the sale stays the seller's.
    function test_attack_saleLeavesTheOfferWithTheSeller() public {
        vm.prank(buyer);
        exchange.buy(offerId, ONE, 3 * ONE);
        uint256 sellersProceeds = exchange.claimable(publisher, address(baseToken));
        vm.assertGt(sellersProceeds, 0);
        uint256 assetId = dt.assetId();
        vm.prank(publisher);
        dataNFT.transferFrom(publisher, stranger, assetId);
        vm.assertEq(exchange.getOffer(offerId).owner, stranger);

        vm.prank(buyer);
        exchange.buy(offerId, ONE, 3 * ONE);
        vm.assertEq(exchange.claimable(publisher, address(baseToken)), sellersProceeds, "seller keeps what it earned");
        vm.assertEq(exchange.claimable(stranger, address(baseToken)), 2 * ONE, "the new owner earns the next sale");

        vm.prank(publisher);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeNotOfferOwner.selector, offerId, publisher)
        );
        exchange.setRate(offerId, ONE);
        vm.startPrank(stranger);
        exchange.setRate(offerId, ONE);
        exchange.withdrawDeposit(offerId, ONE);
        vm.stopPrank();
        vm.assertEq(dt.balanceOf(stranger), ONE);
    }

    function test_setRate_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeNotOfferOwner.selector, offerId, stranger)
        );
        exchange.setRate(offerId, ONE);
    }

    function test_setRate_revertsIfUnknownOffer() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeUnknownOffer.selector, 3));
        exchange.setRate(3, ONE);
    }

    function test_setRate_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidRate.selector, 0));
        exchange.setRate(offerId, 0);
    }

    function test_setActive_pausesAndResumes() public {
        vm.startPrank(publisher);
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.ActiveSet(offerId, false);
        exchange.setActive(offerId, false);
        vm.assertFalse(exchange.getOffer(offerId).active);
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.ActiveSet(offerId, true);
        exchange.setActive(offerId, true);
        vm.stopPrank();
        vm.prank(buyer);
        exchange.buy(offerId, ONE, 10 * ONE);
    }

    function test_setActive_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeNotOfferOwner.selector, offerId, stranger)
        );
        exchange.setActive(offerId, false);
    }

    function test_deposit_addsDatatokens() public {
        vm.startPrank(publisher);
        dt.mint(publisher, 5 * ONE);
        dt.approve(address(exchange), 5 * ONE);
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.Deposited(offerId, 5 * ONE);
        exchange.deposit(offerId, 5 * ONE);
        vm.stopPrank();
        vm.assertEq(uint256(exchange.getOffer(offerId).deposit), 105 * ONE);
    }

    function test_deposit_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidAmount.selector, 0));
        exchange.deposit(offerId, 0);
    }

    function test_deposit_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeNotOfferOwner.selector, offerId, stranger)
        );
        exchange.deposit(offerId, ONE);
    }

    function test_withdrawDeposit_returnsDatatokens() public {
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.DepositWithdrawn(offerId, 40 * ONE);
        vm.prank(publisher);
        exchange.withdrawDeposit(offerId, 40 * ONE);
        vm.assertEq(dt.balanceOf(publisher), 40 * ONE);
        vm.assertEq(uint256(exchange.getOffer(offerId).deposit), 60 * ONE);
    }

    function test_withdrawDeposit_revertsIfAboveDeposit() public {
        vm.prank(publisher);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFixedRateExchange.FixedRateExchangeInsufficientDeposit.selector, offerId, 100 * ONE, 101 * ONE
            )
        );
        exchange.withdrawDeposit(offerId, 101 * ONE);
    }

    function test_withdrawDeposit_revertsIfZero() public {
        vm.prank(publisher);
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeInvalidAmount.selector, 0));
        exchange.withdrawDeposit(offerId, 0);
    }

    function test_withdrawDeposit_revertsIfNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeNotOfferOwner.selector, offerId, stranger)
        );
        exchange.withdrawDeposit(offerId, ONE);
    }

    function test_withdraw_paysOwnerAndCollector() public {
        vm.prank(buyer);
        exchange.buy(offerId, 3 * ONE, 6.06e18);
        vm.expectEmit(address(exchange));
        emit IFixedRateExchange.Withdrawn(publisher, address(baseToken), 6 * ONE);
        vm.prank(publisher);
        exchange.withdraw(address(baseToken));
        vm.prank(marketplace);
        exchange.withdraw(address(baseToken));
        vm.assertEq(baseToken.balanceOf(publisher), 6 * ONE);
        vm.assertEq(baseToken.balanceOf(marketplace), 0.06e18);
        vm.assertEq(exchange.claimable(publisher, address(baseToken)), 0);
    }

    function test_withdraw_paysNativeProceeds() public {
        uint256 id = _nativeOffer();
        vm.prank(buyer);
        exchange.buy{value: 2 ether}(id, 2 * ONE, 2 ether);
        uint256 before = publisher.balance;
        vm.prank(publisher);
        exchange.withdraw(address(0));
        vm.assertEq(publisher.balance - before, 2 ether);
    }

    function test_withdraw_revertsIfNothingAccrued() public {
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFixedRateExchange.FixedRateExchangeNothingToWithdraw.selector, stranger, address(baseToken)
            )
        );
        exchange.withdraw(address(baseToken));
    }

    function test_quote_revertsIfUnknownOffer() public {
        vm.expectRevert(abi.encodeWithSelector(IFixedRateExchange.FixedRateExchangeUnknownOffer.selector, 1));
        exchange.quote(1, ONE);
    }

    // ------------------------------------------------------------ helpers

    function _offerParams(address datatoken, address base, uint256 rate, uint256 deposit)
        internal
        pure
        returns (IFixedRateExchange.OfferParams memory)
    {
        return IFixedRateExchange.OfferParams({
            datatoken: datatoken, baseToken: base, rate: rate, feeCollector: address(0), feeBps: 0, deposit: deposit
        });
    }

    /// @dev A native-coin offer at 1 coin per token, no fee, 10 tokens deposited.
    function _nativeOffer() internal returns (uint256 id) {
        IAssetFactory.PublishParams memory p = _fixedRateParams(10 * ONE, ONE, 0);
        p.fixedRate.baseToken = address(0);
        (,, id) = _publish(p);
    }
}
