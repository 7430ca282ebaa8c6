<?php
/**
 * Single sign-on out of WHMCS.
 *
 * ServiceSingleSignOn (client "Open control panel", or staff on the service page): the
 * bridge's `sso` action returns a one-time link to the server's page (5 minutes, single
 * use). AdminSingleSignOn (staff, server list): `sso_link` with target "account" returns a
 * one-time link to the reseller's dashboard. Either link is handed to the browser only when
 * its host is on the product's "SSO allowed hosts" list (SsoGuard), and is never logged.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class SingleSignOn
{
    public static function service(array $params): array
    {
        return self::redirect('ServiceSingleSignOn', 'ServiceSingleSignOn', $params, []);
    }

    /** $params hold only the server record here (no service). */
    public static function admin(array $params): array
    {
        return self::redirect('AdminSingleSignOn', 'sso_link', $params + ['serviceid' => 0, 'userid' => 0],
            ['target' => 'account']);
    }

    private static function redirect(string $function, string $action, array $params, array $extra): array
    {
        try {
            $reply = Bridge::call($function, $action, $params, $extra);
            $url = $reply['result']['url'] ?? null;
            if (!is_string($url) || $url === '') {
                throw new BridgeError('The bridge returned no login link.', 'no_link');
            }
            $settings = Settings::fromParams($params);
            if (!SsoGuard::allowed($url, $settings->ssoHosts)) {
                $host = SsoGuard::hostOf($url);
                ModuleLog::write($function, ['refused_redirect_host' => $host], '',
                    'login link refused: host not allowed', $params, [$url]);
                throw new BridgeError('The login link points to ' . $host . ', which is not in this '
                    . 'product\'s "SSO allowed hosts" setting.', 'sso_host_refused');
            }

            return ['success' => true, 'redirectTo' => $url];
        } catch (\Throwable $e) {
            return ['success' => false, 'errorMsg' => Messages::forAudience($e, $params)];
        }
    }
}
