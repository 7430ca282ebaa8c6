<?php
/**
 * ConfigOptions loaders (product editor, simple mode): the choices of Module Settings 3-5,
 * read from the bridge's products map with the `catalog` read. WHMCS passes the server
 * record's params; an exception's message is shown next to the field.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Loaders
{
    /** products-map key => "key: plan (regions)". */
    public static function products(array $params): array
    {
        $out = ['' => '(this product\'s id)'];
        foreach ((array) (self::catalog($params)['products'] ?? []) as $key => $product) {
            if (!is_array($product)) {
                continue;
            }
            $regions = implode(', ', array_map('strval', (array) ($product['regions'] ?? [])));
            $out[(string) $key] = $key . ': ' . ($product['plan_name'] ?? $product['plan'] ?? '?')
                . ($regions !== '' ? ' (' . $regions . ')' : '');
        }

        return $out;
    }

    /** region slug => "name (slug)". */
    public static function regions(array $params): array
    {
        return ['' => '(the map\'s default)'] + self::choices(self::catalog($params)['regions'] ?? []);
    }

    /** OS value => label. */
    public static function os(array $params): array
    {
        return ['' => '(the map\'s default)'] + self::choices(self::catalog($params)['os'] ?? []);
    }

    private static function catalog(array $params): array
    {
        try {
            $reply = Bridge::call('ConfigOptions', 'catalog', $params + ['serviceid' => 0, 'userid' => 0]);
        } catch (\Throwable $e) {
            throw new \Exception(Bridge::staffMessage($e));
        }

        return Bridge::result($reply);
    }

    /** [{"value", "label"}] => value => label. */
    private static function choices($items): array
    {
        $out = [];
        foreach ((array) $items as $item) {
            if (is_array($item) && is_scalar($item['value'] ?? null)) {
                $out[(string) $item['value']] = (string) ($item['label'] ?? $item['value']);
            }
        }

        return $out;
    }
}
