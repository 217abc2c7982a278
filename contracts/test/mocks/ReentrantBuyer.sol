// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IFixedRateExchange} from "../../src/interfaces/IFixedRateExchange.sol";

/// @notice Buys with native coin and, when refunded, tries to buy again from `receive`.
contract ReentrantBuyer {
    IFixedRateExchange private immutable _exchange;
    uint256 private _offerId;

    constructor(IFixedRateExchange exchange_) {
        _exchange = exchange_;
    }

    /// @notice Buys `amount` of `offerId` paying `value` (more than the cost, to trigger a refund).
    function buy(uint256 offerId, uint256 amount, uint256 value) external payable {
        _offerId = offerId;
        _exchange.buy{value: value}(offerId, amount, value);
    }

    receive() external payable {
        _exchange.buy{value: msg.value}(_offerId, 1, msg.value);
    }
}
