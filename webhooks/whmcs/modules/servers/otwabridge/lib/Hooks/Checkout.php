<?php
/**
 * Catch what the bridge cannot provision before the invoice exists.
 *
 * ShoppingCartValidateCheckout: every cart line of a product of this module is sent as a
 * `validate` (products map only: no Otwa call, nothing recorded at the bridge), with its
 * configurable options as WHMCS will later pass them to CreateAccount. An unmapped choice
 * becomes an error on the checkout page, naming the option.
 * ShoppingCartValidateUpgrade: a product upgrade is validated with `for` change_package;
 * one the bridge cannot do (e.g. another Otwa plan: Otwa has no resize) is refused.
 *
 * Fails open: when the bridge cannot be asked (down, or too old to know `validate`), the
 * order goes through and the reason is written to the activity log; the create is then
 * checked again when it runs.
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

use WHMCS\Module\Server\Otwabridge\Bridge;
use WHMCS\Module\Server\Otwabridge\BridgeError;
use WHMCS\Module\Server\Otwabridge\Lang;
use WHMCS\Module\Server\Otwabridge\ModuleParams;
use WHMCS\Module\Server\Otwabridge\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Checkout
{
    /** Bridge refusals that mean "this choice cannot be provisioned" (block the order). */
    public const BLOCKING = ['unknown_product', 'unmapped_option', 'region_not_allowed', 'invalid_body',
        'plan_change_unsupported', 'addon_detach_unsupported', 'invalid_label'];

    /** @return string[] error messages for the checkout page ([] = go ahead) */
    public static function validateCart(array $vars): array
    {
        $lines = (array) ($_SESSION['cart']['products'] ?? []);
        $products = null;
        $server = null;
        $errors = [];
        foreach ($lines as $index => $line) {
            $pid = (int) (is_array($line) ? ($line['pid'] ?? 0) : 0);
            if ($pid <= 0) {
                continue;
            }
            $products ??= Whmcs::moduleProducts();
            if (!isset($products[$pid])) {
                continue;
            }
            $server ??= ModuleParams::anyServer();
            if ($server === null) {
                Whmcs::activity('otwabridge checkout: no enabled otwabridge server to validate the cart with');

                return [];
            }
            $params = $server + [
                'serviceid' => 0,
                'userid' => (int) ($vars['clientId'] ?? 0),
                'pid' => $pid,
                'configoptions' => CartOptions::asModuleParams($products[$pid], (array) ($line['configoptions'] ?? [])),
                'customfields' => [],
            ];
            $error = self::check('ShoppingCartValidateCheckout', $params, ['for' => 'create',
                'cart_line' => (int) $index], (string) ($products[$pid]['name'] ?? ('#' . $pid)),
                CartOptions::displayNames($products[$pid]));
            if ($error !== null) {
                $errors[] = $error;
            }
        }

        return $errors;
    }

    /** @return string[] ($vars: id = the service, pid = the product it would become) */
    public static function validateUpgrade(array $vars): array
    {
        $params = ModuleParams::forService((int) ($vars['id'] ?? 0));
        if ($params === null) {
            return [];
        }
        $params['pid'] = (int) ($vars['pid'] ?? 0);
        $error = self::check('ShoppingCartValidateUpgrade', $params, ['for' => 'change_package',
            'product_id' => (int) ($vars['pid'] ?? 0)], '', []);

        return $error === null ? [] : [Lang::forParams($params)->get('upgrade_unavailable')];
    }

    /** null when the bridge accepts (or cannot be asked), else the client's sentence. */
    private static function check(string $function, array $params, array $extra, string $product,
        array $optionNames): ?string
    {
        try {
            Bridge::call($function, 'validate', $params, $extra);

            return null;
        } catch (BridgeError $e) {
            if (!in_array($e->errorCode, self::BLOCKING, true)) {
                Whmcs::activity('otwabridge ' . $function . ': not validated, order allowed: '
                    . Bridge::staffMessage($e));

                return null;
            }
            $lang = Lang::forParams($params);
            $option = $e->details['option'] ?? null;
            if (is_string($option) && $option !== '') {
                return $lang->get('cart_unavailable', ['option' => $optionNames[$option] ?? $option,
                    'product' => $product]);
            }

            return $lang->get('cart_product', ['product' => $product]);
        }
    }
}
