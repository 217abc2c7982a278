// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {Datatoken} from "../../src/Datatoken.sol";
import {FixedRateExchange} from "../../src/FixedRateExchange.sol";
import {Dispenser} from "../../src/Dispenser.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Drives buys, orders, transfers and dispenses across a few actors for the supply invariants.
contract SupplyHandler {
    uint256 internal constant ONE = 1e18;

    Datatoken public immutable sold;
    Datatoken public immutable free;
    FixedRateExchange public immutable exchange;
    Dispenser public immutable dispenser;
    MockERC20 public immutable baseToken;
    uint256 public immutable offerId;
    address public immutable provider;

    address[] public actors;
    uint256 public ordersStarted;
    uint256 public basePaid;

    constructor(
        Datatoken sold_,
        Datatoken free_,
        FixedRateExchange exchange_,
        Dispenser dispenser_,
        MockERC20 baseToken_,
        uint256 offerId_,
        address provider_
    ) {
        sold = sold_;
        free = free_;
        exchange = exchange_;
        dispenser = dispenser_;
        baseToken = baseToken_;
        offerId = offerId_;
        provider = provider_;
        for (uint160 i = 1; i <= 3; ++i) {
            actors.push(address(0xA000 + i));
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function buy(uint256 actorSeed, uint256 amount) external {
        address actor = actors[actorSeed % actors.length];
        uint256 deposit = exchange.getOffer(offerId).deposit;
        if (deposit == 0) return;
        amount = 1 + (amount % (deposit < 5 * ONE ? deposit : 5 * ONE));
        (uint256 price, uint256 fee) = exchange.quote(offerId, amount);
        baseToken.mint(actor, price + fee);
        vm.startPrank(actor);
        baseToken.approve(address(exchange), price + fee);
        exchange.buy(offerId, amount, price + fee);
        vm.stopPrank();
        basePaid += price + fee;
    }

    function order(uint256 actorSeed, bool useFree) external {
        address actor = actors[actorSeed % actors.length];
        Datatoken token = useFree ? free : sold;
        if (token.balanceOf(actor) < ONE) return;
        vm.prank(actor);
        token.startOrder(actor, 0, provider);
        ++ordersStarted;
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount, bool useFree) external {
        address from = actors[fromSeed % actors.length];
        address to = actors[toSeed % actors.length];
        Datatoken token = useFree ? free : sold;
        uint256 balance = token.balanceOf(from);
        if (balance == 0) return;
        vm.prank(from);
        token.transfer(to, amount % (balance + 1));
    }

    function dispense(uint256 actorSeed, uint256 amount) external {
        address actor = actors[actorSeed % actors.length];
        vm.prank(actor);
        // Reverts past the caps are expected and ignored by the fuzzer.
        dispenser.dispense(address(free), 1 + (amount % (2 * ONE)));
    }
}
