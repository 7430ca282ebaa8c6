<?php
/**
 * Open-redirect defence for ServiceSingleSignOn: the browser is only sent to a URL whose
 * host is on the product's "SSO allowed hosts" list (module setting 1).
 *
 * List entries, comma or space separated:
 *   otwa.cloud            https://otwa.cloud (any port)
 *   *.otwa.cloud          https:// on any subdomain of otwa.cloud (not otwa.cloud itself)
 *   http://127.0.0.1      also plain http, for this host only (test/sandbox setups)
 * Default when empty: "otwa.cloud, *.otwa.cloud". URLs with user info are always refused.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class SsoGuard
{
    /** True when $url may be handed to the browser as redirectTo. */
    public static function allowed(string $url, array $entries): bool
    {
        if (strlen($url) > 2048 || preg_match('/[\s\x00-\x1f\x7f\\\\]/', $url)) {
            return false;
        }
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])
            || isset($parts['user']) || isset($parts['pass'])) {
            return false;
        }
        $scheme = strtolower($parts['scheme']);
        $host = strtolower(rtrim($parts['host'], '.'));
        if ($scheme !== 'https' && $scheme !== 'http') {
            return false;
        }
        foreach ($entries as $entry) {
            $entry = strtolower(trim($entry));
            $plainHttp = false;
            if (str_starts_with($entry, 'http://')) {
                $plainHttp = true;
                $entry = substr($entry, 7);
            } elseif (str_starts_with($entry, 'https://')) {
                $entry = substr($entry, 8);
            }
            $entry = rtrim((string) preg_replace('/:\d+$/', '', explode('/', $entry, 2)[0]), '.');
            if ($entry === '' || ($scheme === 'http' && !$plainHttp)) {
                continue;
            }
            if (str_starts_with($entry, '*.')) {
                $suffix = substr($entry, 1);   // ".otwa.cloud"
                if (strlen($host) > strlen($suffix) && str_ends_with($host, $suffix)) {
                    return true;
                }
            } elseif ($host === $entry) {
                return true;
            }
        }

        return false;
    }

    /** The host of $url for messages (never the path: it holds the one-time token). */
    public static function hostOf(string $url): string
    {
        $host = parse_url($url, PHP_URL_HOST);

        return is_string($host) ? $host : '(no host)';
    }
}
