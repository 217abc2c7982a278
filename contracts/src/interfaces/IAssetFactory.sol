// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IComputeReceipts} from "./IComputeReceipts.sol";
import {IDataNFT} from "./IDataNFT.sol";

/// @title Asset factory
/// @notice Publishes an asset in one transaction: mints the data NFT to the publisher, clones and initialises the
/// asset's datatoken, mints the initial supply and optionally lists it on the FixedRateExchange or the Dispenser
/// (in which case the whole initial supply becomes that listing's deposit).
interface IAssetFactory {
    /// @notice How the asset is priced at publish.
    enum Pricing {
        None,
        FixedRate,
        Dispenser
    }

    /// @notice Fixed-rate offer settings (see IFixedRateExchange for precision).
    struct FixedRateParams {
        address baseToken;
        uint256 rate;
        address feeCollector;
        uint16 feeBps;
    }

    /// @notice Dispenser settings.
    struct DispenserParams {
        uint256 maxPerAddress;
        uint256 maxTotal;
    }

    /// @notice Everything `publish` needs.
    /// @param kind Dataset, algorithm or model.
    /// @param cid The asset document's CIDv1 (base32, `b…`).
    /// @param metadataHash The sha256 of the asset document.
    /// @param name Datatoken name (1..64 bytes).
    /// @param symbol Datatoken symbol (1..32 bytes).
    /// @param serviceTimeouts Order timeout in seconds per service; service id = index (1..MAX_SERVICES entries, each
    /// in 1..2**31-1).
    /// @param computeServices Bit i set: service i is a compute service (its orders can be spent by job receipts).
    /// @param initialSupply Datatoken units minted now (to the publisher, or to the pricing contract as its deposit).
    /// @param paymentCollector Receives order payments (zero = the publisher).
    /// @param parents Lineage of a model: proofs of the succeeded jobs it was trained from (see `IDataNFT.MintParams`).
    /// @param pricing None, FixedRate or Dispenser.
    struct PublishParams {
        IDataNFT.AssetKind kind;
        string cid;
        bytes32 metadataHash;
        string name;
        string symbol;
        uint32[] serviceTimeouts;
        uint16 computeServices;
        uint256 initialSupply;
        address paymentCollector;
        IComputeReceipts.JobProof[] parents;
        Pricing pricing;
        FixedRateParams fixedRate;
        DispenserParams dispenser;
    }

    /// @notice Name or symbol empty or too long.
    error AssetFactoryInvalidTokenName(uint256 nameLength, uint256 symbolLength);
    /// @notice No services, too many, a zero or too long timeout, or a compute bit past the last service.
    error AssetFactoryInvalidServices(uint256 count);
    /// @notice A priced publish needs a non-zero initial supply to deposit.
    error AssetFactoryNothingToList();
    /// @notice The wiring passed to the constructor does not point back at this factory.
    error AssetFactoryMiswired(address component);

    /// @notice An asset was published. Carries everything an indexer needs; `pricingId` is the exchange offer id for
    /// FixedRate, 0 otherwise (the dispenser entry is keyed by the datatoken).
    event AssetPublished(
        uint256 indexed assetId,
        address indexed publisher,
        address indexed datatoken,
        IDataNFT.AssetKind kind,
        string cid,
        bytes32 metadataHash,
        Pricing pricing,
        uint256 pricingId,
        uint256 initialSupply
    );

    /// @notice Publishes an asset (see the contract notice).
    /// @return assetId The DataNFT token id.
    /// @return datatoken The asset's datatoken clone.
    /// @return pricingId The exchange offer id (FixedRate) or 0.
    function publish(PublishParams calldata params)
        external
        returns (uint256 assetId, address datatoken, uint256 pricingId);

    /// @notice The DataNFT collection.
    function dataNFT() external view returns (address);
    /// @notice The datatoken implementation every clone delegates to.
    function datatokenImplementation() external view returns (address);
    /// @notice The FixedRateExchange.
    function exchange() external view returns (address);
    /// @notice The Dispenser.
    function dispenser() external view returns (address);
    /// @notice The largest number of services per asset.
    function MAX_SERVICES() external view returns (uint256);
}
