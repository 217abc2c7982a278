// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../test/utils/Vm.sol";
import {CoveDeployer} from "./CoveDeployer.sol";

/// @notice Deploys Cove to any RPC and writes the addresses and the start block (`deploymentBlock`, as simulated: a
/// lower bound of the real one, so scans from it miss nothing; the exact block is
/// `ComputeReceipts.deploymentBlock()` on-chain: event scans begin there) to `contracts/deployments/<chainId>.json`
/// (`31337.local.json` on anvil, which git ignores).
/// @dev `forge script contracts/script/Deploy.s.sol --rpc-url http://127.0.0.1:8545 --broadcast`; the key comes from
/// `PRIVATE_KEY` (default: anvil's first development key).
contract Deploy is CoveDeployer {
    uint256 private constant _ANVIL_KEY = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;

    /// @notice Deploys, wires and records the contracts.
    function run() external returns (CoveDeployment memory d) {
        uint256 key = vm.envOr("PRIVATE_KEY", _ANVIL_KEY);
        vm.startBroadcast(key);
        d = _deployCove(vm.addr(key));
        vm.stopBroadcast();
        _write(d);
    }

    function _write(CoveDeployment memory d) private {
        string memory o = "deployment";
        vm.serializeUint(o, "chainId", block.chainid);
        vm.serializeUint(o, "deploymentBlock", d.receipts.deploymentBlock());
        vm.serializeAddress(o, "providerRegistry", address(d.registry));
        vm.serializeAddress(o, "dataNFT", address(d.dataNFT));
        vm.serializeAddress(o, "computeReceipts", address(d.receipts));
        vm.serializeAddress(o, "datatokenImplementation", address(d.datatokenImplementation));
        vm.serializeAddress(o, "fixedRateExchange", address(d.exchange));
        vm.serializeAddress(o, "dispenser", address(d.dispenser));
        string memory json = vm.serializeAddress(o, "assetFactory", address(d.factory));
        string memory file =
            block.chainid == 31_337 ? "31337.local.json" : string.concat(vm.toString(block.chainid), ".json");
        vm.writeJson(json, string.concat(vm.projectRoot(), "/contracts/deployments/", file));
    }
}
