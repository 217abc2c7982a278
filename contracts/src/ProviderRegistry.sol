// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";

/// @title ProviderRegistry
/// @notice Provider address → endpoint URL and X25519 public key. See {IProviderRegistry}.
contract ProviderRegistry is IProviderRegistry {
    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_URL_LENGTH = 512;

    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_IPFS_ADDRS_LENGTH = 1024;

    mapping(address provider => Provider) private _providers;

    /// @inheritdoc IProviderRegistry
    function register(string calldata url, bytes32 x25519PublicKey, string calldata ipfsAddrs) external {
        if (_providers[msg.sender].registeredAt != 0) revert ProviderRegistryAlreadyRegistered(msg.sender);
        _checkRecord(url, x25519PublicKey, ipfsAddrs);
        _providers[msg.sender] = Provider({
            url: url,
            x25519PublicKey: x25519PublicKey,
            ipfsAddrs: ipfsAddrs,
            registeredAt: uint64(block.timestamp),
            updatedAt: uint64(block.timestamp)
        });
        emit ProviderRegistered(msg.sender, url, x25519PublicKey, ipfsAddrs);
    }

    /// @inheritdoc IProviderRegistry
    function update(string calldata url, bytes32 x25519PublicKey, string calldata ipfsAddrs) external {
        Provider storage provider = _registered(msg.sender);
        _checkRecord(url, x25519PublicKey, ipfsAddrs);
        provider.url = url;
        provider.x25519PublicKey = x25519PublicKey;
        provider.ipfsAddrs = ipfsAddrs;
        provider.updatedAt = uint64(block.timestamp);
        emit ProviderUpdated(msg.sender, url, x25519PublicKey, ipfsAddrs);
    }

    /// @inheritdoc IProviderRegistry
    function deregister() external {
        _registered(msg.sender);
        delete _providers[msg.sender];
        emit ProviderDeregistered(msg.sender);
    }

    /// @inheritdoc IProviderRegistry
    function isRegistered(address provider) external view returns (bool) {
        return _providers[provider].registeredAt != 0;
    }

    /// @inheritdoc IProviderRegistry
    function getProvider(address provider) external view returns (Provider memory) {
        return _registered(provider);
    }

    function _registered(address provider) private view returns (Provider storage record) {
        record = _providers[provider];
        if (record.registeredAt == 0) revert ProviderRegistryNotRegistered(provider);
    }

    function _checkRecord(string calldata url, bytes32 x25519PublicKey, string calldata ipfsAddrs) private pure {
        uint256 length = bytes(url).length;
        if (length == 0 || length > MAX_URL_LENGTH) revert ProviderRegistryInvalidUrl(length);
        length = bytes(ipfsAddrs).length;
        if (length > MAX_IPFS_ADDRS_LENGTH) revert ProviderRegistryInvalidIpfsAddrs(length);
        if (x25519PublicKey == bytes32(0)) revert ProviderRegistryInvalidKey();
    }
}
