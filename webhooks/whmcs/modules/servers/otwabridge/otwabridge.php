<?php
/**
 * otwa-bridge: the WHMCS provisioning ("server") module for Otwa Cloud.
 *
 * A thin forwarder: every module call becomes one signed hook (Standard Webhooks v1) to
 * the otwa-bridge service, POST <bridge>/v1/hooks/<panel>. The bridge owns the products map,
 * the Otwa API keys, idempotency and retries, and writes the server's IPs and credentials
 * back into WHMCS through the WHMCS API. The module turns the bridge's replies into WHMCS's
 * return conventions ('success' or a readable error string; arrays for TestConnection, SSO,
 * ClientArea, ListAccounts...).
 *
 * Every function below is one line into lib/Boot.php, which refuses with a clear sentence on
 * PHP older than 8.1 before any PHP 8.1 syntax is loaded. Keep this file free of newer
 * syntax and free of helper functions: WHMCS dispatches any otwabridge_<name> as a module
 * function, so helpers live in namespaced classes under lib/.
 *
 * Guide: docs/panels/whmcs.md (install, server record, products, API role, hook actions).
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/Boot.php';

use WHMCS\Module\Server\Otwabridge\Boot;

function otwabridge_MetaData()
{
    return Boot::call('MetaData', array());
}

function otwabridge_ConfigOptions($params = array())
{
    return Boot::call('ConfigOptions', $params);
}

function otwabridge_CreateAccount(array $params)
{
    return Boot::call('CreateAccount', $params);
}

function otwabridge_SuspendAccount(array $params)
{
    return Boot::call('SuspendAccount', $params);
}

function otwabridge_UnsuspendAccount(array $params)
{
    return Boot::call('UnsuspendAccount', $params);
}

function otwabridge_TerminateAccount(array $params)
{
    return Boot::call('TerminateAccount', $params);
}

function otwabridge_ChangePackage(array $params)
{
    return Boot::call('ChangePackage', $params);
}

function otwabridge_TestConnection(array $params)
{
    return Boot::call('TestConnection', $params);
}

function otwabridge_ServiceSingleSignOn(array $params)
{
    return Boot::call('ServiceSingleSignOn', $params);
}

function otwabridge_AdminSingleSignOn(array $params)
{
    return Boot::call('AdminSingleSignOn', $params);
}

function otwabridge_ClientArea(array $params)
{
    return Boot::call('ClientArea', $params);
}

function otwabridge_AdminCustomButtonArray()
{
    return Boot::call('AdminCustomButtonArray', array());
}

function otwabridge_ClientAreaCustomButtonArray()
{
    return Boot::call('ClientAreaCustomButtonArray', array());
}

function otwabridge_ClientAreaAllowedFunctions()
{
    return Boot::call('ClientAreaAllowedFunctions', array());
}

function otwabridge_AdminServicesTabFields(array $params)
{
    return Boot::call('AdminServicesTabFields', $params);
}

function otwabridge_AdminServicesTabFieldsSave(array $params)
{
    return Boot::call('AdminServicesTabFieldsSave', $params);
}

function otwabridge_UsageUpdate(array $params)
{
    return Boot::call('UsageUpdate', $params);
}

function otwabridge_ListAccounts(array $params)
{
    return Boot::call('ListAccounts', $params);
}

// Admin buttons (AdminCustomButtonArray) and client-area actions (ClientAreaAllowedFunctions).

function otwabridge_AdminStart(array $params)
{
    return Boot::call('AdminStart', $params);
}

function otwabridge_AdminStop(array $params)
{
    return Boot::call('AdminStop', $params);
}

function otwabridge_AdminReboot(array $params)
{
    return Boot::call('AdminReboot', $params);
}

function otwabridge_AdminReinstall(array $params)
{
    return Boot::call('AdminReinstall', $params);
}

function otwabridge_AdminResetPassword(array $params)
{
    return Boot::call('AdminResetPassword', $params);
}

function otwabridge_AdminSync(array $params)
{
    return Boot::call('AdminSync', $params);
}

function otwabridge_ClientPower(array $params)
{
    return Boot::call('ClientPower', $params);
}

function otwabridge_ClientReinstall(array $params)
{
    return Boot::call('ClientReinstall', $params);
}

function otwabridge_ClientResetPassword(array $params)
{
    return Boot::call('ClientResetPassword', $params);
}
