<?php
/**
 * Moving existing Otwa servers into WHMCS.
 *
 * ListAccounts (Utilities > Server Sync): the bridge's `unlinked_servers` read lists the
 * reseller's Otwa servers that no service of this panel is linked to. WHMCS matches them on
 * the "Server ID" custom field (MetaData) and imports the ones staff pick.
 * adopt: link one existing server to one service (the bridge's `adopt` action: nothing is
 * created or charged); used by the admin tab's Server ID field and by "Sync with bridge".
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Import
{
    public static function listAccounts(array $params): array
    {
        try {
            $reply = Bridge::call('ListAccounts', 'unlinked_servers', $params + ['serviceid' => 0, 'userid' => 0]);
            $accounts = [];
            foreach ((array) (Bridge::result($reply)['servers'] ?? []) as $server) {
                if (is_array($server) && is_string($server['server_id'] ?? null)) {
                    $accounts[] = self::account($server);
                }
            }

            return ['success' => true, 'accounts' => $accounts];
        } catch (\Throwable $e) {
            return ['success' => false, 'error' => Bridge::staffMessage($e)];
        }
    }

    /** Link service $params to existing server $serverId; 'success' or a staff sentence. */
    public static function adopt(array $params, string $serverId): string
    {
        if (!preg_match('/^[A-Za-z0-9_-]{1,64}$/', $serverId)) {
            return 'A Server ID is letters, digits, "-" and "_" only (as shown in the Otwa dashboard).';
        }
        try {
            $reply = Bridge::call('Adopt', 'adopt', $params, ['server_id' => $serverId]);
            ServerId::save($params, $serverId);
            ServerId::remember($params, $reply);

            return 'success';
        } catch (\Throwable $e) {
            return Bridge::staffMessage($e);
        }
    }

    /** One WHMCS Server Sync row. */
    private static function account(array $server): array
    {
        $created = strtotime((string) ($server['created_at'] ?? '')) ?: time();
        $suspended = in_array($server['status'] ?? '', ['suspended', 'stopped'], true);

        return [
            'email' => (string) ($server['email'] ?? ''),
            'username' => (string) ($server['label'] ?? ''),
            'domain' => (string) ($server['hostname'] ?? ''),
            'uniqueIdentifier' => $server['server_id'],
            'product' => (string) ($server['product_key'] ?? ($server['plan'] ?? '')),
            'primaryip' => (string) ($server['ip'] ?? ''),
            'created' => gmdate('Y-m-d H:i:s', $created),
            'status' => self::status($suspended),
        ];
    }

    private static function status(bool $suspended): string
    {
        $class = '\WHMCS\Service\Status';
        if (class_exists($class)) {
            return $suspended ? constant($class . '::SUSPENDED') : constant($class . '::ACTIVE');
        }

        return $suspended ? 'Suspended' : 'Active';
    }
}
