// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Compute provider registry
/// @notice A provider (an EVM address) publishes its HTTP endpoint, the X25519 public key that content keys are
/// sealed to, and the libp2p multiaddrs of its IPFS node (space-separated, each ending in `/p2p/<peer id>`; empty
/// when it runs none), so anyone can reach its documents and results without a hand-made peer list. Only the provider itself registers, updates or leaves.
interface IProviderRegistry {
    /// @notice A registered provider.
    struct Provider {
        string url;
        bytes32 x25519PublicKey;
        string ipfsAddrs;
        uint64 registeredAt;
        uint64 updatedAt;
    }

    /// @notice The caller is already registered.
    error ProviderRegistryAlreadyRegistered(address provider);
    /// @notice The address is not registered.
    error ProviderRegistryNotRegistered(address provider);
    /// @notice The URL is empty or longer than `MAX_URL_LENGTH`.
    error ProviderRegistryInvalidUrl(uint256 length);
    /// @notice The IPFS multiaddrs are longer than `MAX_IPFS_ADDRS_LENGTH`.
    error ProviderRegistryInvalidIpfsAddrs(uint256 length);
    /// @notice The X25519 key must not be zero.
    error ProviderRegistryInvalidKey();

    /// @notice A provider registered.
    event ProviderRegistered(address indexed provider, string url, bytes32 x25519PublicKey, string ipfsAddrs);
    /// @notice A provider changed its URL, key or IPFS addresses.
    event ProviderUpdated(address indexed provider, string url, bytes32 x25519PublicKey, string ipfsAddrs);
    /// @notice A provider left.
    event ProviderDeregistered(address indexed provider);

    /// @notice Registers the caller.
    function register(string calldata url, bytes32 x25519PublicKey, string calldata ipfsAddrs) external;
    /// @notice Replaces the caller's URL, key and IPFS addresses.
    function update(string calldata url, bytes32 x25519PublicKey, string calldata ipfsAddrs) external;
    /// @notice Removes the caller.
    function deregister() external;

    /// @notice Whether `provider` is registered.
    function isRegistered(address provider) external view returns (bool);
    /// @notice The provider's record (reverts `ProviderRegistryNotRegistered` when unknown).
    function getProvider(address provider) external view returns (Provider memory);
    /// @notice Longest accepted URL, in bytes.
    function MAX_URL_LENGTH() external view returns (uint256);
    /// @notice Longest accepted IPFS multiaddr list, in bytes.
    function MAX_IPFS_ADDRS_LENGTH() external view returns (uint256);
}
