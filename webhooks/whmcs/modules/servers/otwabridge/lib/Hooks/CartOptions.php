<?php
/**
 * A cart line's configurable options ($_SESSION['cart']['products'][n]['configoptions']:
 * option id => sub-option id, or the quantity for yes/no and quantity options) turned into
 * what WHMCS will pass the module as $params['configoptions']: keyed by the option name's
 * part before "|", the sub-option name's part before "|" as value, yes/no and quantity
 * options as their quantity. Option names and types come from GetProducts.
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class CartOptions
{
    /** WHMCS option types: 1 dropdown, 2 radio, 3 yes/no, 4 quantity. */
    private const QUANTITY_TYPES = ['3', '4'];

    public static function asModuleParams(array $product, array $chosen): array
    {
        $out = [];
        foreach (self::rows($product['configoptions']['configoption'] ?? []) as $option) {
            $id = (string) ($option['id'] ?? '');
            if ($id === '' || !array_key_exists($id, $chosen)) {
                continue;
            }
            $name = self::key((string) ($option['name'] ?? ''));
            $value = $chosen[$id];
            if (in_array((string) ($option['type'] ?? ''), self::QUANTITY_TYPES, true)) {
                $out[$name] = (int) (is_array($value) ? ($value['qty'] ?? 0) : $value);
                continue;
            }
            foreach (self::rows($option['options']['option'] ?? []) as $sub) {
                if ((string) ($sub['id'] ?? '') === (string) $value) {
                    $out[$name] = self::key((string) ($sub['rawName'] ?? '') ?: (string) ($sub['name'] ?? ''));
                }
            }
        }

        return $out;
    }

    /** option key (what the module and the bridge see) => the name the customer saw. */
    public static function displayNames(array $product): array
    {
        $out = [];
        foreach (self::rows($product['configoptions']['configoption'] ?? []) as $option) {
            $name = (string) ($option['name'] ?? '');
            $pipe = strpos($name, '|');
            $out[self::key($name)] = trim($pipe ? substr($name, $pipe + 1) : $name);
        }

        return $out;
    }

    /** "value|Display" -> "value" (as WHMCS does for option and sub-option names). */
    public static function key(string $name): string
    {
        $pipe = strpos($name, '|');

        return trim($pipe ? substr($name, 0, $pipe) : $name);
    }

    private static function rows($value): array
    {
        if (!is_array($value) || $value === []) {
            return [];
        }

        return array_is_list($value) ? array_filter($value, 'is_array') : [$value];
    }
}
