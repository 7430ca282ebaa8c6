<?php
/**
 * A WHMCS product add-on attached to this module (Module Setting "Add-on type").
 *
 * WHMCS calls the module for the add-on with addonId > 0 and serviceid = the parent
 * service. Create attaches the add-on to the parent's server (bridge action add_addon).
 * Otwa v1.9 cannot detach an add-on, so Suspend, Terminate and Change Package never call
 * the bridge: they change nothing on the server and tell staff so, in words they can act on.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Addons
{
    public static function isAddon(array $params): bool
    {
        return (int) ($params['addonId'] ?? 0) > 0;
    }

    public static function create(array $params): string
    {
        $type = ProductSettings::addonType($params);
        if ($type === '') {
            return 'This product add-on has no "Add-on type" in its Module Settings (Extra IPv4, IP '
                . 'class or Backups), so nothing was attached. Set it, then click Create again.';
        }

        return Lifecycle::run('AddonCreate', 'add_addon', $params, ['type' => $type]);
    }

    public static function suspend(array $params): string
    {
        return self::unchanged($params, 'AddonSuspend', 'suspend',
            'The parent server keeps running with the add-on. Suspend the parent service if the '
            . 'customer must lose access, or set this add-on\'s status by hand.');
    }

    public static function terminate(array $params): string
    {
        return self::unchanged($params, 'AddonTerminate', 'remove',
            'The add-on stays on the server (and on the Otwa bill) until the whole server is '
            . 'terminated. To stop billing the customer, set this add-on\'s status to Terminated by '
            . 'hand (edit the add-on).');
    }

    /** Nothing was suspended, so there is nothing to undo. */
    public static function unsuspend(array $params): string
    {
        ModuleLog::write('AddonUnsuspend', ['addonId' => (int) $params['addonId']], '',
            'nothing to do: add-ons are never suspended at Otwa', $params);

        return 'success';
    }

    public static function changePackage(array $params): string
    {
        return self::unchanged($params, 'AddonChangePackage', 'change',
            'Order the new add-on as a separate add-on instead.');
    }

    private static function unchanged(array $params, string $function, string $verb, string $advice): string
    {
        $type = ProductSettings::addonType($params) ?: 'add-on';
        $message = 'Nothing was changed on the server of service #' . (int) ($params['serviceid'] ?? 0)
            . ': Otwa v1.9 cannot ' . $verb . ' an add-on (' . $type . ') on its own. ' . $advice;
        ModuleLog::write($function, ['addonId' => (int) $params['addonId'], 'type' => $type], '', $message, $params);

        return $message;
    }
}
