<?php
/**
 * Module buttons. Staff get power, reinstall, reset password and sync on the service page
 * (AdminCustomButtonArray). Clients get no sidebar buttons: the client-area template has
 * its own controls, which post to the functions of ClientAreaAllowedFunctions.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Buttons
{
    public static function adminButtons(): array
    {
        return [
            'Start server' => 'AdminStart',
            'Stop server' => 'AdminStop',
            'Reboot server' => 'AdminReboot',
            'Reinstall OS' => 'AdminReinstall',
            'Reset root password' => 'AdminResetPassword',
            'Sync with bridge' => 'AdminSync',
        ];
    }

    public static function clientButtons(): array
    {
        return [];
    }

    /** Functions the client-area template may call (modop=custom&a=<name>). */
    public static function clientAllowedFunctions(): array
    {
        return ['ClientPower', 'ClientReinstall', 'ClientResetPassword'];
    }

    public static function adminStart(array $params): string
    {
        return self::serverOnly($params) ?? Lifecycle::run('AdminStart', 'power', $params, ['action' => 'start']);
    }

    public static function adminStop(array $params): string
    {
        return self::serverOnly($params) ?? Lifecycle::run('AdminStop', 'power', $params, ['action' => 'stop']);
    }

    public static function adminReboot(array $params): string
    {
        return self::serverOnly($params) ?? Lifecycle::run('AdminReboot', 'power', $params, ['action' => 'reboot']);
    }

    /** Reinstalls with the service's current OS option (the bridge maps it). */
    public static function adminReinstall(array $params): string
    {
        return self::serverOnly($params) ?? Lifecycle::run('AdminReinstall', 'reinstall', $params);
    }

    /** Otwa generates the password; the bridge writes it into the service's Password. */
    public static function adminResetPassword(array $params): string
    {
        return self::serverOnly($params) ?? Lifecycle::run('AdminResetPassword', 'reset_password', $params);
    }

    /**
     * Refresh what WHMCS knows (the Server ID field) from the bridge. A service the bridge
     * does not know but whose "Server ID" is filled in (Server Sync import, a manual link)
     * is adopted: linked to that existing server, nothing created.
     */
    public static function adminSync(array $params): string
    {
        if (($refusal = self::serverOnly($params)) !== null) {
            return $refusal;
        }
        try {
            $reply = Bridge::call('AdminSync', 'status', $params, ['detail' => 'admin']);
            ServerId::remember($params, $reply);

            return 'success';
        } catch (BridgeError $e) {
            $stored = ServerId::get($params);
            if ($e->errorCode !== 'no_server' || $stored === '') {
                return Bridge::staffMessage($e);
            }

            return Import::adopt($params, $stored);
        } catch (\Throwable $e) {
            return Bridge::staffMessage($e);
        }
    }

    /** The refusal for a product add-on (its serviceid is the parent's server), or null. */
    private static function serverOnly(array $params): ?string
    {
        if (!Addons::isAddon($params)) {
            return null;
        }

        return 'This is a product add-on: server buttons act on the parent service\'s server. Use them '
            . 'on service #' . (int) ($params['serviceid'] ?? 0) . ' instead.';
    }
}
