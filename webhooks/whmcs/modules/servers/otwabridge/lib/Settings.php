<?php
/**
 * Where the bridge is and how to sign for it, read from the WHMCS server record
 * (and two product module settings).
 *
 * Server record (Configuration > System Settings > Servers, type "Otwa Cloud (otwa-bridge)"):
 *   Hostname / IP address  the bridge host ("bridge.example.com"), optionally with a port
 *                          and a path prefix ("bridge.example.com:8443/otwa"), or a full
 *                          base URL ("https://bridge.example.com/otwa")
 *   Secure (SSL) / Port    https vs http and the port, when the hostname does not say;
 *                          WHMCS sends serversecure as a bool (older releases: "on"/"")
 *                          and derives serverhttpprefix from it, so serversecure decides
 *   Password               the bridge's hook secret "whsec_<base64>" for this panel
 *                          (WHMCS stores server passwords encrypted and masks them)
 *   Username               the bridge panel name, i.e. [panels.<name>] in the bridge's
 *                          config; empty means "whmcs"
 *   Access Hash            unused
 * Product module settings: configoption1 = SSO allowed hosts, configoption2 = timeout.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Settings
{
    public const DEFAULT_PANEL = 'whmcs';
    public const DEFAULT_TIMEOUT = 20;
    public const DEFAULT_SSO_HOSTS = 'otwa.cloud, *.otwa.cloud';

    /** @param string[] $ssoHosts */
    private function __construct(
        public readonly string $baseUrl,
        public readonly string $hookUrl,
        public readonly string $panel,
        public readonly string $secret,
        public readonly int $timeout,
        public readonly array $ssoHosts,
    ) {
    }

    /**
     * Settings for one module call. Throws BridgeError (code "misconfigured") with a message
     * naming the field to fix when the server record cannot work; never echoes the secret.
     */
    public static function fromParams(array $params): self
    {
        $secret = trim((string) ($params['serverpassword'] ?? ''));
        if ($secret === '') {
            throw new BridgeError(
                'The server record has no Password: put the bridge\'s hook secret '
                . '(whsec_...) in the Password field of the Otwa bridge server.',
                'misconfigured'
            );
        }
        if (Signer::key($secret) === null) {
            throw new BridgeError(
                'The server record\'s Password is not a hook secret: it must be the '
                . 'bridge\'s "whsec_<base64>" secret for this panel.',
                'misconfigured'
            );
        }
        $panel = trim((string) ($params['serverusername'] ?? ''));
        $panel = $panel === '' ? self::DEFAULT_PANEL : $panel;
        if (!preg_match('/^[A-Za-z0-9_-]{1,64}$/', $panel)) {
            throw new BridgeError(
                'The server record\'s Username must be the bridge panel name (letters, digits, '
                . '"_" or "-"), or empty for "whmcs".',
                'misconfigured'
            );
        }
        $timeout = (int) ($params['configoption2'] ?? 0);
        $timeout = $timeout > 0 ? min($timeout, 120) : self::DEFAULT_TIMEOUT;
        $hosts = trim((string) ($params['configoption1'] ?? ''));
        $hosts = $hosts === '' ? self::DEFAULT_SSO_HOSTS : $hosts;
        $ssoHosts = array_values(array_filter(array_map('trim', preg_split('/[\s,]+/', $hosts))));

        $base = self::baseUrl($params);

        return new self($base, $base . '/v1/hooks/' . rawurlencode($panel), $panel, $secret, $timeout, $ssoHosts);
    }

    /**
     * "Use SSL" of the server record as WHMCS passes it: true/false (WHMCS 7+), "on"/""
     * (older and hand-built params), 1/0. Absent: serverhttpprefix if present, else https.
     */
    public static function secure(array $params): bool
    {
        if (array_key_exists('serversecure', $params)) {
            $value = $params['serversecure'];
            if (is_string($value)) {
                return in_array(strtolower(trim($value)), ['on', '1', 'true', 'yes'], true);
            }

            return (bool) $value;
        }
        $prefix = strtolower((string) ($params['serverhttpprefix'] ?? ''));

        return $prefix !== 'http';
    }

    /** <scheme>://<host>[:<port>][/<prefix>] of the bridge, no trailing slash. */
    private static function baseUrl(array $params): string
    {
        $host = trim((string) ($params['serverhostname'] ?? ''));
        if ($host === '') {
            $host = trim((string) ($params['serverip'] ?? ''));
        }
        if ($host === '') {
            throw new BridgeError(
                'The server record has no Hostname or IP address: enter the bridge\'s '
                . 'address (e.g. bridge.example.com or https://bridge.example.com:8443).',
                'misconfigured'
            );
        }
        if (preg_match('#^(https?)://#i', $host, $m)) {
            $base = rtrim($host, '/');
        } else {
            $prefix = self::secure($params) ? 'https' : 'http';
            [$authority, $path] = array_pad(explode('/', $host, 2), 2, '');
            $port = trim((string) ($params['serverport'] ?? ''));
            if ($port !== '' && ctype_digit($port) && !str_contains($authority, ':')) {
                $authority .= ':' . $port;
            }
            $base = $prefix . '://' . $authority . ($path !== '' ? '/' . trim($path, '/') : '');
        }
        $parts = parse_url($base);
        if ($parts === false || empty($parts['host']) || isset($parts['user']) || isset($parts['query'])) {
            throw new BridgeError(
                'The server record\'s Hostname does not make a valid bridge URL: use a host '
                . 'name, host:port, or an http(s):// base URL without credentials or query.',
                'misconfigured'
            );
        }

        return $base;
    }
}
