<?php
/**
 * AfterModuleTerminate: the server is gone, so its addresses are no longer the customer's:
 * clear the service's Dedicated IP and Assigned IPs (a reused address must not show up on a
 * terminated service). Only for services of this module; add-ons never touch the parent.
 */

namespace WHMCS\Module\Server\Otwabridge\Hooks;

use WHMCS\Module\Server\Otwabridge\ModuleLog;
use WHMCS\Module\Server\Otwabridge\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class AfterTerminate
{
    public static function run(array $vars): void
    {
        $params = is_array($vars['params'] ?? null) ? $vars['params'] : [];
        if (($params['moduletype'] ?? '') !== ModuleLog::MODULE || (int) ($params['addonId'] ?? 0) > 0) {
            return;
        }
        $serviceId = (int) ($params['serviceid'] ?? 0);
        if ($serviceId > 0) {
            Whmcs::updateService($serviceId, ['unset' => ['dedicatedip', 'assignedips']]);
        }
    }
}
