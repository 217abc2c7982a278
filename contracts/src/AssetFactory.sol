// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IAssetFactory} from "./interfaces/IAssetFactory.sol";
import {IDataNFT} from "./interfaces/IDataNFT.sol";
import {IDatatoken} from "./interfaces/IDatatoken.sol";
import {IFixedRateExchange} from "./interfaces/IFixedRateExchange.sol";
import {IDispenser} from "./interfaces/IDispenser.sol";

/// @title AssetFactory
/// @notice One-transaction publish: data NFT + datatoken clone + initial supply + optional listing.
/// See {IAssetFactory}.
contract AssetFactory is IAssetFactory {
    /// @inheritdoc IAssetFactory
    uint256 public constant MAX_SERVICES = 16;
    /// @notice Longest datatoken name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @notice Longest datatoken symbol, in bytes.
    uint256 public constant MAX_SYMBOL_LENGTH = 32;

    IDataNFT private immutable _dataNFT;
    address private immutable _datatokenImplementation;
    IFixedRateExchange private immutable _exchange;
    IDispenser private immutable _dispenser;

    /// @dev The components are deployed first, each told this factory's (predicted) address; the constructor
    /// checks the collection points back here.
    constructor(address dataNFT_, address datatokenImplementation_, address exchange_, address dispenser_) {
        if (IDataNFT(dataNFT_).factory() != address(this)) revert AssetFactoryMiswired(dataNFT_);
        _dataNFT = IDataNFT(dataNFT_);
        _datatokenImplementation = datatokenImplementation_;
        _exchange = IFixedRateExchange(exchange_);
        _dispenser = IDispenser(dispenser_);
    }

    /// @inheritdoc IAssetFactory
    function publish(PublishParams calldata params)
        external
        returns (uint256 assetId, address datatoken, uint256 pricingId)
    {
        uint256 nameLength = bytes(params.name).length;
        uint256 symbolLength = bytes(params.symbol).length;
        if (nameLength == 0 || nameLength > MAX_NAME_LENGTH || symbolLength == 0 || symbolLength > MAX_SYMBOL_LENGTH) {
            revert AssetFactoryInvalidTokenName(nameLength, symbolLength);
        }
        uint256 services = params.serviceTimeouts.length;
        if (services == 0 || services > MAX_SERVICES || params.computeServices >> services != 0) {
            revert AssetFactoryInvalidServices(services);
        }
        if (params.pricing != Pricing.None && params.initialSupply == 0) revert AssetFactoryNothingToList();

        assetId = _dataNFT.nextAssetId();
        datatoken = Clones.cloneWithImmutableArgs(_datatokenImplementation, _cloneArgs(assetId, params));
        _dataNFT.mint(
            IDataNFT.MintParams({
                to: msg.sender,
                kind: params.kind,
                datatoken: datatoken,
                cid: params.cid,
                metadataHash: params.metadataHash,
                parents: params.parents
            })
        );

        address holder = msg.sender;
        if (params.pricing == Pricing.FixedRate) holder = address(_exchange);
        else if (params.pricing == Pricing.Dispenser) holder = address(_dispenser);
        IDatatoken(datatoken)
            .initialize(
                IDatatoken.InitParams({
                paymentCollector: params.paymentCollector == address(0) ? msg.sender : params.paymentCollector,
                initialHolder: holder,
                initialSupply: params.initialSupply
            })
            );

        if (params.pricing == Pricing.FixedRate) {
            pricingId = _exchange.createOfferFor(
                msg.sender,
                IFixedRateExchange.OfferParams({
                    datatoken: datatoken,
                    baseToken: params.fixedRate.baseToken,
                    rate: params.fixedRate.rate,
                    feeCollector: params.fixedRate.feeCollector,
                    feeBps: params.fixedRate.feeBps,
                    deposit: params.initialSupply
                })
            );
        } else if (params.pricing == Pricing.Dispenser) {
            _dispenser.createFor(
                msg.sender,
                IDispenser.DispenserParams({
                    datatoken: datatoken,
                    maxPerAddress: params.dispenser.maxPerAddress,
                    maxTotal: params.dispenser.maxTotal,
                    deposit: params.initialSupply
                })
            );
        }

        _emitPublished(assetId, datatoken, pricingId, params);
    }

    /// @inheritdoc IAssetFactory
    function dataNFT() external view returns (address) {
        return address(_dataNFT);
    }

    /// @inheritdoc IAssetFactory
    function datatokenImplementation() external view returns (address) {
        return _datatokenImplementation;
    }

    /// @inheritdoc IAssetFactory
    function exchange() external view returns (address) {
        return address(_exchange);
    }

    /// @inheritdoc IAssetFactory
    function dispenser() external view returns (address) {
        return address(_dispenser);
    }

    /// @dev Separate frame: the event has more fields than the publish frame has stack slots left.
    function _emitPublished(uint256 assetId, address datatoken, uint256 pricingId, PublishParams calldata params)
        private
    {
        emit AssetPublished(
            assetId,
            msg.sender,
            datatoken,
            params.kind,
            params.cid,
            params.metadataHash,
            params.pricing,
            pricingId,
            params.initialSupply
        );
    }

    /// @dev Packs the clone's immutable arguments (layout documented in {Datatoken}).
    function _cloneArgs(uint256 assetId, PublishParams calldata params) private pure returns (bytes memory args) {
        uint32[] calldata timeouts = params.serviceTimeouts;
        uint256 n = timeouts.length;
        bytes memory packed = new bytes(4 * n);
        // n <= MAX_SERVICES; the index arithmetic stays small.
        unchecked {
            for (uint256 i; i < n; ++i) {
                uint32 timeout = timeouts[i];
                // The top bit of each packed service carries its compute flag (see {Datatoken}).
                if (timeout == 0 || timeout >> 31 != 0) revert AssetFactoryInvalidServices(n);
                if ((params.computeServices >> i) & 1 == 1) timeout |= uint32(1 << 31);
                bytes4 word = bytes4(timeout);
                packed[4 * i] = word[0];
                packed[4 * i + 1] = word[1];
                packed[4 * i + 2] = word[2];
                packed[4 * i + 3] = word[3];
            }
        }
        // Lengths were checked by the caller (name <= 64, symbol <= 32, services <= 16): the uint8 casts are exact,
        // and asset ids are sequential so uint64 holds them.
        args = abi.encodePacked(
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64(assetId),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint8(bytes(params.name).length),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint8(bytes(params.symbol).length),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint8(n),
            packed,
            params.name,
            params.symbol
        );
    }
}
