<?php
/**
 * The WHMCS hooks of the module (registered by includes/hooks/otwabridge.php through
 * Boot::registerHooks()). Each callback is wrapped: a hook never throws into WHMCS (a
 * failing hook would break payment processing, checkout or the cron for everyone).
 *
 *   InvoicePaid / InvoiceRefunded      -> invoice_paid / invoice_refunded per service line
 *   ShoppingCartValidateCheckout       -> validate each cart line of this module
 *   ShoppingCartValidateUpgrade        -> validate a product upgrade (for change_package)
 *   DailyCronJob                       -> reconcile, reported to the admins
 *   AfterModuleTerminate               -> clear the service's IP fields
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

use WHMCS\Module\Server\Otwabridge\Bridge;
use WHMCS\Module\Server\Otwabridge\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Registry
{
    public const HOOKS = [
        'InvoicePaid' => [Invoices::class, 'paid'],
        'InvoiceRefunded' => [Invoices::class, 'refunded'],
        'ShoppingCartValidateCheckout' => [Checkout::class, 'validateCart'],
        'ShoppingCartValidateUpgrade' => [Checkout::class, 'validateUpgrade'],
        'DailyCronJob' => [DailyReconcile::class, 'run'],
        'AfterModuleTerminate' => [AfterTerminate::class, 'run'],
    ];

    public static function register(): void
    {
        if (!function_exists('add_hook')) {
            return;
        }
        foreach (self::HOOKS as $hook => $callback) {
            add_hook($hook, 1, static function ($vars = []) use ($hook, $callback) {
                return self::guarded($hook, $callback, is_array($vars) ? $vars : []);
            });
        }
    }

    /** The callback's return value, or nothing when it failed (logged to the activity log). */
    private static function guarded(string $hook, callable $callback, array $vars)
    {
        try {
            return $callback($vars);
        } catch (\Throwable $e) {
            Whmcs::activity('otwabridge ' . $hook . ' hook failed: ' . Bridge::staffMessage($e));

            return null;
        }
    }
}
