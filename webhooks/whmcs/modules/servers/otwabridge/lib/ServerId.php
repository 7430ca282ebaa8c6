<?php
/**
 * The Otwa server id kept in WHMCS too, as the product custom field "Server ID" (a service
 * property: WHMCS creates the field on the first save). Admins see it on the service; a
 * Server Sync import fills it (MetaData ListAccountsUniqueIdentifierField); the admin tab
 * edits it (link / relink). Every hook carries it in "customfields", so the bridge can
 * check it against its own record.
 *
 * Only services have it: a product add-on's model is the add-on, not the server.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ServerId
{
    public const FIELD = 'Server ID';

    /** The stored id ('' when none): from $params['customfields'], else the model. */
    public static function get(array $params): string
    {
        $value = $params['customfields'][self::FIELD] ?? null;
        if (is_scalar($value) && trim((string) $value) !== '') {
            return trim((string) $value);
        }
        $properties = self::properties($params);
        if ($properties !== null) {
            try {
                return trim((string) $properties->get(self::FIELD));
            } catch (\Throwable) {
                return '';
            }
        }

        return '';
    }

    /** Store $serverId on the service; false when there is no model (add-on, cron). */
    public static function save(array $params, string $serverId): bool
    {
        $properties = self::properties($params);
        if ($properties === null) {
            return false;
        }
        try {
            $properties->save([self::FIELD => $serverId]);

            return true;
        } catch (\Throwable $e) {
            ModuleLog::write('ServerId', ['save' => self::FIELD], '', 'could not save: ' . $e->getMessage(), $params);

            return false;
        }
    }

    /** Save the server id a bridge reply names, when it differs from the stored one. */
    public static function remember(array $params, array $reply): void
    {
        $id = $reply['result']['server_id'] ?? ($reply['operation']['server_id'] ?? null);
        if (is_string($id) && $id !== '' && strlen($id) <= 64 && $id !== self::get($params)) {
            self::save($params, $id);
        }
    }

    /** $params['model']->serviceProperties of a service (not an add-on), or null. */
    private static function properties(array $params): ?object
    {
        if ((int) ($params['addonId'] ?? 0) > 0) {
            return null;
        }
        $model = $params['model'] ?? null;
        if (!is_object($model)) {
            return null;
        }
        $properties = $model->serviceProperties ?? null;

        return is_object($properties) ? $properties : null;
    }
}
