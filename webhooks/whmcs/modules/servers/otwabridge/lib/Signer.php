<?php
/**
 * Standard Webhooks v1 signatures, as the bridge verifies them (bridge/signing.py):
 * "v1," + base64(HMAC-SHA256(key, "<webhook-id>.<timestamp>.<raw body>")), where the key is
 * the base64-decoded part of the "whsec_<base64>" secret.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Signer
{
    /** The HMAC key bytes of a "whsec_<base64>" secret, or null when it is not one. */
    public static function key(string $secret): ?string
    {
        if (!str_starts_with($secret, 'whsec_')) {
            return null;
        }
        $encoded = substr($secret, 6);
        $encoded .= str_repeat('=', (4 - strlen($encoded) % 4) % 4);
        $key = base64_decode($encoded, true);

        return ($key === false || $key === '') ? null : $key;
    }

    /** The webhook-signature value for this id, timestamp and exact body bytes. */
    public static function sign(string $secret, string $webhookId, int $timestamp, string $body): string
    {
        $key = self::key($secret);
        if ($key === null) {
            throw new BridgeError('The hook secret is not a whsec_ secret.', 'misconfigured');
        }
        $mac = hash_hmac('sha256', $webhookId . '.' . $timestamp . '.' . $body, $key, true);

        return 'v1,' . base64_encode($mac);
    }

    /**
     * A fresh webhook-id for one module call: "whmcs-<Function>-<serviceid>-<16 hex>".
     * Readable in the bridge's logs, never contains "." (the bridge refuses that).
     */
    public static function webhookId(string $function, $serviceId): string
    {
        $service = preg_replace('/[^A-Za-z0-9_-]/', '', (string) $serviceId);
        $service = substr($service === '' ? '0' : $service, 0, 64);

        return 'whmcs-' . $function . '-' . $service . '-' . bin2hex(random_bytes(8));
    }
}
