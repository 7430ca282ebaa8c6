<?php
/**
 * What the module reads and writes in WHMCS outside the module's own $params, through the
 * internal API (localAPI: in-process, no API credential, no API role involved).
 *
 * Calls used: GetProducts (module=otwabridge), GetClientsProducts, UpdateClientProduct,
 * GetInvoice, GetClientsDetails, GetServers, SendAdminEmail, LogActivity (via logActivity).
 * The bridge's own API credential and its role are a different matter (docs/panels/whmcs.md).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Whmcs
{
    /** GetClientsProducts page size (WHMCS's default is 25). */
    private const PAGE = 250;

    /** localAPI($command, $data) or BridgeError('whmcs_api') with WHMCS's message. */
    public static function api(string $command, array $data = []): array
    {
        if (!function_exists('localAPI')) {
            throw new BridgeError('WHMCS internal API (localAPI) is not available here.', 'whmcs_api');
        }
        $reply = localAPI($command, $data);
        if (!is_array($reply) || ($reply['result'] ?? '') !== 'success') {
            $message = is_array($reply) ? (string) ($reply['message'] ?? 'no message') : 'no reply';
            throw new BridgeError('WHMCS ' . $command . ' failed: ' . $message, 'whmcs_api');
        }

        return $reply;
    }

    /** @return array<int, array> products using this module, by pid (GetProducts rows) */
    public static function moduleProducts(): array
    {
        $reply = self::api('GetProducts', ['module' => ModuleLog::MODULE]);
        $out = [];
        foreach (self::rows($reply['products']['product'] ?? []) as $product) {
            $out[(int) $product['pid']] = $product;
        }

        return $out;
    }

    /**
     * Services of this module (GetClientsProducts rows), optionally only on $serverId and
     * only with a status in $statuses.
     *
     * @return array<int, array> by service id
     */
    public static function moduleServices(?int $serverId = null, array $statuses = ['Active', 'Suspended']): array
    {
        $out = [];
        foreach (array_keys(self::moduleProducts()) as $pid) {
            $start = 0;
            do {
                $reply = self::api('GetClientsProducts', ['pid' => $pid, 'limitstart' => $start,
                    'limitnum' => self::PAGE]);
                $rows = self::rows($reply['products']['product'] ?? []);
                foreach ($rows as $row) {
                    if ($serverId !== null && (int) ($row['serverid'] ?? 0) !== $serverId) {
                        continue;
                    }
                    if ($statuses && !in_array($row['status'] ?? '', $statuses, true)) {
                        continue;
                    }
                    $out[(int) $row['id']] = $row;
                }
                $start += self::PAGE;
            } while (count($rows) === self::PAGE);
        }
        ksort($out);

        return $out;
    }

    /** One service (GetClientsProducts row) or null. */
    public static function service(int $serviceId): ?array
    {
        $reply = self::api('GetClientsProducts', ['serviceid' => $serviceId]);
        $rows = self::rows($reply['products']['product'] ?? []);

        return $rows[0] ?? null;
    }

    /** A custom field value of a GetClientsProducts row, by field name ('' when absent). */
    public static function customField(array $row, string $name): string
    {
        foreach (self::rows($row['customfields']['customfield'] ?? []) as $field) {
            if (($field['name'] ?? '') === $name) {
                return trim((string) ($field['value'] ?? ''));
            }
        }

        return '';
    }

    public static function updateService(int $serviceId, array $fields): void
    {
        self::api('UpdateClientProduct', ['serviceid' => $serviceId] + $fields);
    }

    /** Tell the admins (Setup > Staff with "System Emails"); logged to the activity log too. */
    public static function notifyAdmins(string $subject, string $message): void
    {
        self::activity($subject . ': ' . $message);
        try {
            self::api('SendAdminEmail', ['customsubject' => $subject,
                'custommessage' => nl2br(htmlspecialchars($message, ENT_QUOTES)), 'type' => 'system']);
        } catch (\Throwable $e) {
            self::activity('otwabridge: could not e-mail the admins: ' . $e->getMessage());
        }
    }

    /** logActivity when WHMCS provides it. */
    public static function activity(string $message, int $clientId = 0): void
    {
        if (function_exists('logActivity')) {
            try {
                logActivity($message, $clientId);
            } catch (\Throwable) {
                // the activity log is diagnostics
            }
        }
    }

    /** WHMCS's XML-shaped lists: a list, one bare row, or empty. */
    private static function rows($value): array
    {
        if (!is_array($value) || $value === []) {
            return [];
        }

        return array_is_list($value) ? array_values(array_filter($value, 'is_array')) : [$value];
    }
}
