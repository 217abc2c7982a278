// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {CoveFixture} from "../utils/CoveFixture.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {IAssetFactory} from "../../src/interfaces/IAssetFactory.sol";
import {SupplyHandler} from "./SupplyHandler.sol";

/// @notice Orders and trades move datatokens but never create or destroy them.
contract SupplyInvariantTest is CoveFixture {
    uint256 internal constant SOLD_SUPPLY = 500e18;
    uint256 internal constant FREE_SUPPLY = 50e18;

    SupplyHandler internal handler;
    Datatoken internal sold;
    Datatoken internal free;
    uint256 internal offerId;

    function setUp() public override {
        super.setUp();
        (, sold, offerId) = _publish(_fixedRateParams(SOLD_SUPPLY, 2e18, 100));
        IAssetFactory.PublishParams memory p = _params(FREE_SUPPLY);
        p.pricing = IAssetFactory.Pricing.Dispenser;
        p.dispenser = IAssetFactory.DispenserParams({maxPerAddress: 5e18, maxTotal: 12e18});
        (, free,) = _publish(p);
        handler = new SupplyHandler(sold, free, exchange, dispenser, baseToken, offerId, provider);
        targetContract(address(handler));
    }

    function invariant_supplyConservedByOrdersAndTrades() public view {
        vm.assertEq(sold.totalSupply(), SOLD_SUPPLY);
        vm.assertEq(free.totalSupply(), FREE_SUPPLY);
        vm.assertEq(_held(sold), SOLD_SUPPLY);
        vm.assertEq(_held(free), FREE_SUPPLY);
    }

    function invariant_collectorReceivedOneTokenPerOrder() public view {
        vm.assertEq(sold.balanceOf(publisher) + free.balanceOf(publisher), handler.ordersStarted() * ONE);
    }

    function invariant_depositsMatchHeldTokens() public view {
        vm.assertEq(sold.balanceOf(address(exchange)), exchange.getOffer(offerId).deposit);
        vm.assertEq(free.balanceOf(address(dispenser)), dispenser.getEntry(address(free)).balance);
        vm.assertLe(dispenser.getEntry(address(free)).dispensed, 12e18);
    }

    function invariant_baseTokensAccountedExactly() public view {
        uint256 claims =
            exchange.claimable(publisher, address(baseToken)) + exchange.claimable(marketplace, address(baseToken));
        vm.assertEq(claims, handler.basePaid());
        vm.assertEq(baseToken.balanceOf(address(exchange)), handler.basePaid());
    }

    /// @dev Every possible holder: the actors, the collector (publisher), the exchange and the dispenser.
    function _held(Datatoken token) internal view returns (uint256 sum) {
        for (uint256 i; i < handler.actorCount(); ++i) {
            sum += token.balanceOf(handler.actors(i));
        }
        sum += token.balanceOf(publisher) + token.balanceOf(address(exchange)) + token.balanceOf(address(dispenser));
    }
}
