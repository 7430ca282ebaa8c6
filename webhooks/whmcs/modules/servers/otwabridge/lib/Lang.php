<?php
/**
 * Client-facing strings: lang/<language>.php, English underneath, and the reseller's own
 * lang/overrides/<language>.php on top (WHMCS's override convention). Files set
 * $_LANG['otwabridge_<key>'] entries; Lang hands them out by <key>.
 *
 * "{brand}" in a string is replaced by Module Setting 7 ("Name shown to clients"), or by
 * the neutral "brand_default" string: no provider name reaches a client unless set there.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Lang
{
    private const PREFIX = 'otwabridge_';

    /** @param array<string, string> $strings */
    private function __construct(private readonly array $strings)
    {
    }

    /** The strings for the client of $params (clientsdetails.language), branded. */
    public static function forParams(array $params): self
    {
        $language = strtolower((string) ($params['clientsdetails']['language'] ?? ''));
        $strings = self::file('english');
        if ($language !== '' && $language !== 'english' && preg_match('/^[a-z_-]{2,32}$/', $language)) {
            $strings = array_merge($strings, self::file($language));
        }
        $strings = array_merge($strings, self::file('overrides/english'));
        if ($language !== '' && $language !== 'english' && preg_match('/^[a-z_-]{2,32}$/', $language)) {
            $strings = array_merge($strings, self::file('overrides/' . $language));
        }
        $brand = ProductSettings::text($params, ProductSettings::CLIENT_BRAND);
        $brand = $brand !== '' ? $brand : ($strings['brand_default'] ?? 'control panel');
        foreach ($strings as $key => $text) {
            $strings[$key] = str_replace('{brand}', $brand, $text);
        }

        return new self($strings);
    }

    /** The string $key with {name} placeholders filled; the key itself when missing. */
    public function get(string $key, array $vars = []): string
    {
        $text = $this->strings[$key] ?? $key;
        foreach ($vars as $name => $value) {
            $text = str_replace('{' . $name . '}', (string) $value, $text);
        }

        return $text;
    }

    /** Every string, for the template ({$otwabridge.lang.<key>}). */
    public function all(): array
    {
        return $this->strings;
    }

    /** @return array<string, string> the $_LANG entries of lang/<name>.php, prefix removed */
    private static function file(string $name): array
    {
        $path = dirname(__DIR__) . '/lang/' . $name . '.php';
        if (!is_file($path)) {
            return [];
        }
        $read = static function (string $path): array {
            $_LANG = [];
            include $path;

            return is_array($_LANG) ? $_LANG : [];
        };
        $out = [];
        foreach ($read($path) as $key => $text) {
            if (is_string($key) && str_starts_with($key, self::PREFIX) && is_scalar($text)) {
                $out[substr($key, strlen(self::PREFIX))] = (string) $text;
            }
        }

        return $out;
    }
}
