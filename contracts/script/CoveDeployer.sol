// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../test/utils/Vm.sol";
import {ProviderRegistry} from "../src/ProviderRegistry.sol";
import {DataNFT} from "../src/DataNFT.sol";
import {ComputeReceipts} from "../src/ComputeReceipts.sol";
import {Datatoken} from "../src/Datatoken.sol";
import {FixedRateExchange} from "../src/FixedRateExchange.sol";
import {Dispenser} from "../src/Dispenser.sol";
import {AssetFactory} from "../src/AssetFactory.sol";

/// @notice Deploys and wires Cove's contracts. Shared by `Deploy.s.sol` and the test fixtures; the TypeScript
/// `deployCove` follows the same order.
/// @dev Seven creations from one account in a fixed order. Components that must know a later contract (the factory,
/// the receipts) get its address predicted from the deployer's nonce, so nothing needs a one-time setter:
/// nonce n: ProviderRegistry, n+1: DataNFT(factory, receipts), n+2: ComputeReceipts(registry, dataNFT),
/// n+3: Datatoken implementation(factory, dataNFT), n+4: FixedRateExchange(factory), n+5: Dispenser(factory),
/// n+6: AssetFactory(dataNFT, implementation, exchange, dispenser).
abstract contract CoveDeployer {
    /// @notice The deployed set.
    struct CoveDeployment {
        ProviderRegistry registry;
        DataNFT dataNFT;
        ComputeReceipts receipts;
        Datatoken datatokenImplementation;
        FixedRateExchange exchange;
        Dispenser dispenser;
        AssetFactory factory;
    }

    /// @notice Deploys everything from `deployer` (the broadcaster in scripts, the test contract in tests).
    function _deployCove(address deployer) internal returns (CoveDeployment memory d) {
        uint256 nonce = vm.getNonce(deployer);
        address factory = vm.computeCreateAddress(deployer, nonce + 6);
        address receipts = vm.computeCreateAddress(deployer, nonce + 2);
        d.registry = new ProviderRegistry();
        d.dataNFT = new DataNFT(factory, receipts);
        d.receipts = new ComputeReceipts(address(d.registry), address(d.dataNFT));
        d.datatokenImplementation = new Datatoken(factory, address(d.dataNFT));
        d.exchange = new FixedRateExchange(factory);
        d.dispenser = new Dispenser(factory);
        d.factory = new AssetFactory(
            address(d.dataNFT), address(d.datatokenImplementation), address(d.exchange), address(d.dispenser)
        );
        require(address(d.factory) == factory && address(d.receipts) == receipts, "CoveDeployer: nonce drift");
    }
}
