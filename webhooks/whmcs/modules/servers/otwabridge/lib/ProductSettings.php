<?php
/**
 * The product's (or product add-on's) Module Settings: ConfigOptions and how each value is
 * read back from $params['configoptionN'].
 *
 * Positions are part of the upgrade contract: WHMCS stores values by position, so a new
 * setting is only ever appended (1 and 2 are the original two settings of module 1.0).
 * The bridge's products map stays the source of truth for plans, regions, OS images and
 * add-ons; settings 3-5 only pick among what the map offers (filled by loaders from the
 * bridge's `catalog` read) and are sent along as hints (docs/panels/whmcs.md).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ProductSettings
{
    public const SSO_HOSTS = 1;
    public const TIMEOUT = 2;
    public const PRODUCT_KEY = 3;
    public const DEFAULT_REGION = 4;
    public const DEFAULT_OS = 5;
    public const ADDON_TYPE = 6;
    public const CLIENT_BRAND = 7;
    public const HIDE_CLIENT_REINSTALL = 8;
    public const ADMIN_CONSOLE_URL = 9;

    public const ADDON_TYPES = ['extra-ip', 'ip-class', 'backup'];

    /** ConfigOptions(): at most 24 fields, in position order. */
    public static function definition(array $params = []): array
    {
        return [
            'SSO allowed hosts' => [
                'Type' => 'text',
                'Size' => '60',
                'Default' => Settings::DEFAULT_SSO_HOSTS,
                'Description' => 'Hosts a login link may redirect to (comma separated; '
                    . '"*.example.com" for subdomains, "http://host" to allow plain http).',
            ],
            'Request timeout' => [
                'Type' => 'text',
                'Size' => '4',
                'Default' => (string) Settings::DEFAULT_TIMEOUT,
                'Description' => 'Seconds to wait for the bridge (1-120).',
            ],
            'Products map entry' => [
                'Type' => 'text',
                'Size' => '20',
                'Loader' => Boot::class . '::loadProducts',
                'SimpleMode' => true,
                'Description' => 'The bridge products map entry this product orders; empty = '
                    . 'this product\'s id.',
            ],
            'Default region' => [
                'Type' => 'text',
                'Size' => '20',
                'Loader' => Boot::class . '::loadRegions',
                'SimpleMode' => true,
                'Description' => 'Used when the customer picks none; empty = the map\'s default.',
            ],
            'Default operating system' => [
                'Type' => 'text',
                'Size' => '20',
                'Loader' => Boot::class . '::loadOperatingSystems',
                'SimpleMode' => true,
                'Description' => 'Used when the customer picks none; empty = the map\'s default.',
            ],
            'Add-on type' => [
                'Type' => 'dropdown',
                'Options' => ['' => '(not an add-on)', 'extra-ip' => 'Extra IPv4', 'ip-class' => 'IP class',
                    'backup' => 'Backups'],
                'Description' => 'Product add-ons only: what the add-on attaches to the parent server.',
            ],
            'Name shown to clients' => [
                'Type' => 'text',
                'Size' => '30',
                'Description' => 'e.g. "Acme Cloud"; empty = a neutral "control panel".',
            ],
            'Hide reinstall from clients' => [
                'Type' => 'yesno',
                'Description' => 'Tick to remove the reinstall form (it erases the disk) from the '
                    . 'client area; staff keep the Reinstall OS button.',
            ],
            'Bridge admin console URL' => [
                'Type' => 'text',
                'Size' => '60',
                'Description' => 'Linked from the admin service tab; empty = <bridge>/admin.',
            ],
        ];
    }

    /** The trimmed text of setting $position ('' when unset). */
    public static function text(array $params, int $position): string
    {
        $value = $params['configoption' . $position] ?? '';

        return is_scalar($value) ? trim((string) $value) : '';
    }

    /**
     * A yes/no setting: ticked = "on". Unticked and "saved before the setting existed" both
     * read "", so every yes/no setting is worded so that unticked is the old behaviour.
     */
    public static function flag(array $params, int $position): bool
    {
        return in_array(strtolower(self::text($params, $position)), ['on', '1', 'yes', 'true'], true);
    }

    /** The add-on type of a product add-on ('' when not set or not one of ADDON_TYPES). */
    public static function addonType(array $params): string
    {
        $type = self::text($params, self::ADDON_TYPE);
        if ($type === '' && isset($params['Add-on type']) && is_string($params['Add-on type'])) {
            $type = trim($params['Add-on type']);   // add-ons also get settings by friendly name
        }

        return in_array($type, self::ADDON_TYPES, true) ? $type : '';
    }
}
