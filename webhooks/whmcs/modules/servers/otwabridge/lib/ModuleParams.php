<?php
/**
 * Module $params where WHMCS does not hand them over (hooks, the daily cron, checkout):
 * built by WHMCS itself (\WHMCS\Module\Server), so they carry the same server record,
 * configurable options and custom fields a module function would get.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ModuleParams
{
    /** $params of service $serviceId, or null when it is not an otwabridge service. */
    public static function forService(int $serviceId): ?array
    {
        $server = self::server();
        if ($server === null || !$server->loadByServiceID($serviceId)) {
            return null;
        }
        $params = $server->buildParams();

        return is_array($params) && ($params['moduletype'] ?? '') === ModuleLog::MODULE ? $params : null;
    }

    /** The server-record part of $params for WHMCS server $serverId (no service). */
    public static function forServer(int $serverId): ?array
    {
        $server = self::server();
        if ($server === null || !$server->load(ModuleLog::MODULE)) {
            return null;
        }
        $params = $server->getServerParams($serverId);

        return is_array($params) && !empty($params['server']) ? $params : null;
    }

    /** The first enabled otwabridge server record's params (checkout has no service yet). */
    public static function anyServer(): ?array
    {
        $reply = Whmcs::api('GetServers', []);
        foreach ((array) ($reply['servers'] ?? []) as $row) {
            if (is_array($row) && ($row['module'] ?? '') === ModuleLog::MODULE && !empty($row['active'] ?? true)) {
                $params = self::forServer((int) $row['id']);
                if ($params !== null) {
                    return $params;
                }
            }
        }

        return null;
    }

    private static function server(): ?object
    {
        return class_exists('\WHMCS\Module\Server') ? new \WHMCS\Module\Server() : null;
    }
}
