<?php
/**
 * otwa-bridge: WHMCS hooks of the otwabridge module (invoice lines to the bridge's ledger,
 * checkout and upgrade validation, the daily reconcile, IP clean-up after terminate).
 *
 * Install: copy to <whmcs>/includes/hooks/otwabridge.php, next to
 * modules/servers/otwabridge/. WHMCS loads every file of includes/hooks on each request,
 * so this one only registers callbacks (lib/Hooks/Registry.php) and stays silent on a PHP
 * older than 8.1 (the module's own functions say why). Named otwabridge.php rather than
 * hooks.php so it cannot collide with another vendor's file.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

$otwabridgeBoot = __DIR__ . '/../../modules/servers/otwabridge/lib/Boot.php';
if (is_file($otwabridgeBoot)) {
    require_once $otwabridgeBoot;
    \WHMCS\Module\Server\Otwabridge\Boot::registerHooks();
}
unset($otwabridgeBoot);
