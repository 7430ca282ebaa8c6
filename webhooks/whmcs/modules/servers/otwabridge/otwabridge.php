<?php
/**
 * otwa-bridge: WHMCS provisioning ("server") module for Otwa Cloud.
 *
 * A thin forwarder. Every module call becomes one signed hook (Standard Webhooks v1) to
 * the otwa-bridge service, POST <bridge>/v1/hooks/<panel>; the bridge owns the products
 * map, the Otwa API key, idempotency and retries, and writes the server's IP and
 * credentials back into WHMCS through the WHMCS API (UpdateClientProduct). This file only
 * turns the bridge's reply into WHMCS's return conventions:
 *   core functions and buttons   'success', or a readable error string
 *   TestConnection               ['success' => bool, 'error' => string]
 *   ServiceSingleSignOn          ['success' => true, 'redirectTo' => url] or errorMsg
 * A reply of 202 (queued) counts as success: the bridge finishes the work and writes back.
 *
 * Setup: webhooks/whmcs/README.md (server record fields, secret, SSO allow-list).
 * No UsageUpdate: the bridge reports live stats per service, not the per-server disk and
 * bandwidth totals in MB that UsageUpdate must write.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/BridgeError.php';
require_once __DIR__ . '/lib/Signer.php';
require_once __DIR__ . '/lib/Settings.php';
require_once __DIR__ . '/lib/Payload.php';
require_once __DIR__ . '/lib/HookClient.php';
require_once __DIR__ . '/lib/SsoGuard.php';

use WHMCS\Module\Server\Otwabridge\BridgeError;
use WHMCS\Module\Server\Otwabridge\HookClient;
use WHMCS\Module\Server\Otwabridge\Payload;
use WHMCS\Module\Server\Otwabridge\Settings;
use WHMCS\Module\Server\Otwabridge\SsoGuard;

const OTWABRIDGE_MODULE = 'otwabridge';

function otwabridge_MetaData(): array
{
    return [
        'DisplayName' => 'Otwa Cloud (otwa-bridge)',
        'APIVersion' => '1.1',
        'RequiresServer' => true,
        'DefaultSSLPort' => 443,
        'DefaultNonSSLPort' => 80,
        'ServiceSingleSignOnLabel' => 'Log in to Otwa Cloud',
    ];
}

/**
 * Product module settings (configoption1, configoption2). Plans, regions, OS images and
 * add-ons are NOT set here: the bridge's products map owns them ([panels.whmcs.products]).
 */
function otwabridge_ConfigOptions(): array
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
    ];
}

function otwabridge_CreateAccount(array $params): string
{
    return otwabridge_run('CreateAccount', 'CreateAccount', $params);
}

function otwabridge_SuspendAccount(array $params): string
{
    $reason = $params['suspendreason'] ?? '';
    $extra = is_string($reason) && $reason !== '' ? ['reason' => substr($reason, 0, 200)] : [];

    return otwabridge_run('SuspendAccount', 'SuspendAccount', $params, $extra);
}

function otwabridge_UnsuspendAccount(array $params): string
{
    return otwabridge_run('UnsuspendAccount', 'UnsuspendAccount', $params);
}

function otwabridge_TerminateAccount(array $params): string
{
    return otwabridge_run('TerminateAccount', 'TerminateAccount', $params);
}

/** WHMCS already passes the new pid and configurable options. */
function otwabridge_ChangePackage(array $params): string
{
    return otwabridge_run('ChangePackage', 'ChangePackage', $params);
}

/**
 * Otwa generates server passwords itself: the password typed in WHMCS is NOT sent (nor
 * used). The bridge resets the root password at Otwa and writes the new one back into the
 * service via UpdateClientProduct, replacing what WHMCS just saved.
 */
function otwabridge_ChangePassword(array $params): string
{
    return otwabridge_run('ChangePassword', 'ChangePassword', $params);
}

/** Checks the bridge address, the secret (a signed hook) and the bridge's Otwa key. */
function otwabridge_TestConnection(array $params): array
{
    try {
        otwabridge_call('TestConnection', 'TestConnection', $params);

        return ['success' => true, 'error' => ''];
    } catch (\Throwable $e) {
        return ['success' => false, 'error' => otwabridge_message($e)];
    }
}

/**
 * A one-time login link to the server's page in the Otwa dashboard. The link is handed to
 * the browser only when its host is on the product's "SSO allowed hosts" list; it is never
 * written to the module log (it is a bearer credential for 5 minutes).
 */
function otwabridge_ServiceSingleSignOn(array $params): array
{
    try {
        $reply = otwabridge_call('ServiceSingleSignOn', 'ServiceSingleSignOn', $params);
        $url = $reply['result']['url'] ?? null;
        if (!is_string($url) || $url === '') {
            return ['success' => false, 'errorMsg' => 'The Otwa bridge returned no login link.'];
        }
        $settings = Settings::fromParams($params);
        if (!SsoGuard::allowed($url, $settings->ssoHosts)) {
            otwabridge_log('ServiceSingleSignOn', ['refused_redirect_host' => SsoGuard::hostOf($url)],
                '', 'login link refused: host not allowed', $params, [$url]);

            return [
                'success' => false,
                'errorMsg' => 'The login link points to ' . SsoGuard::hostOf($url) . ', which is not '
                    . 'in this product\'s "SSO allowed hosts" setting.',
            ];
        }

        return ['success' => true, 'redirectTo' => $url];
    } catch (\Throwable $e) {
        return ['success' => false, 'errorMsg' => otwabridge_message($e)];
    }
}

function otwabridge_AdminCustomButtonArray(): array
{
    return [
        'Start server' => 'Start',
        'Stop server' => 'Stop',
        'Reboot server' => 'Reboot',
        'Reinstall OS' => 'Reinstall',
    ];
}

/** Clients get power buttons; reinstall (wipes the disk) stays with staff. */
function otwabridge_ClientAreaCustomButtonArray(): array
{
    return [
        'Start server' => 'Start',
        'Stop server' => 'Stop',
        'Reboot server' => 'Reboot',
    ];
}

function otwabridge_Start(array $params): string
{
    return otwabridge_run('Start', 'power', $params, ['action' => 'start']);
}

function otwabridge_Stop(array $params): string
{
    return otwabridge_run('Stop', 'power', $params, ['action' => 'stop']);
}

function otwabridge_Reboot(array $params): string
{
    return otwabridge_run('Reboot', 'power', $params, ['action' => 'reboot']);
}

/** Reinstalls with the service's current "Operating System" option (the bridge maps it). */
function otwabridge_Reinstall(array $params): string
{
    return otwabridge_run('Reinstall', 'reinstall', $params);
}

// ---------------------------------------------------------------------------------------
// Plumbing

/** 'success' when the bridge accepted $action, else the readable reason. Never throws. */
function otwabridge_run(string $function, string $action, array $params, array $extra = []): string
{
    try {
        otwabridge_call($function, $action, $params, $extra);

        return 'success';
    } catch (\Throwable $e) {
        return otwabridge_message($e);
    }
}

/**
 * Build, sign and send one hook; log it (secrets scrubbed); return the {"ok": true} reply.
 * Throws BridgeError (bridge refusals, transport, misconfiguration) after logging it.
 */
function otwabridge_call(string $function, string $action, array $params, array $extra = []): array
{
    $request = ['action' => $action];
    $client = null;
    try {
        $settings = Settings::fromParams($params);
        $body = Payload::build($action, $params, $extra);
        $request = ['url' => $settings->hookUrl, 'body' => $body];
        $client = new HookClient($settings);
        $reply = $client->send($function, $body);
        $request += ['webhook_id' => $client->last['webhook_id'], 'attempts' => $client->last['attempts']];
        $url = $reply['result']['url'] ?? null;
        otwabridge_log($function, $request, otwabridge_loggable_reply($client->last),
            'success (HTTP ' . $client->last['status'] . ')', $params, is_string($url) ? [$url] : []);

        return $reply;
    } catch (\Throwable $e) {
        if ($client !== null) {
            $request += ['webhook_id' => $client->last['webhook_id'], 'attempts' => $client->last['attempts']];
        }
        otwabridge_log($function, $request, $client ? otwabridge_loggable_reply($client->last) : '',
            otwabridge_message($e), $params);
        throw $e;
    }
}

/** The staff-readable text of a failure (bridge messages are already worded for staff). */
function otwabridge_message(\Throwable $e): string
{
    if ($e instanceof BridgeError) {
        return $e->getMessage();
    }

    return 'otwabridge module error: ' . $e->getMessage();
}

/** The reply for the module log, with any login link replaced (it is a bearer credential). */
function otwabridge_loggable_reply(array $last): string
{
    if ($last['status'] === 0) {
        return 'no reply: ' . (string) $last['error'];
    }
    $reply = json_decode($last['raw'], true);
    if (!is_array($reply)) {
        return 'HTTP ' . $last['status'] . ' (not JSON, ' . strlen($last['raw']) . ' bytes)';
    }
    if (isset($reply['result']['url'])) {
        $reply['result']['url'] = '[one-time login link, not logged]';
    }

    return 'HTTP ' . $last['status'] . ' ' . json_encode($reply, JSON_UNESCAPED_SLASHES);
}

/**
 * logModuleCall with every secret of this call in $replaceVars (WHMCS scrubs them): the
 * hook secret, the server's access hash, the service password, and $more (login links).
 */
function otwabridge_log(string $function, $request, $response, $processed, array $params, array $more = []): void
{
    if (!function_exists('logModuleCall')) {
        return;
    }
    $secrets = [];
    foreach (['serverpassword', 'serveraccesshash', 'password'] as $key) {
        if (isset($params[$key]) && is_string($params[$key]) && $params[$key] !== '') {
            $secrets[] = $params[$key];
            if (str_starts_with($params[$key], 'whsec_')) {
                $secrets[] = substr($params[$key], 6);
            }
        }
    }
    foreach ($more as $value) {
        if (is_string($value) && $value !== '') {
            $secrets[] = $value;
        }
    }
    try {
        logModuleCall(OTWABRIDGE_MODULE, $function, $request, $response, $processed, array_values(array_unique($secrets)));
    } catch (\Throwable $e) {
        // The module log is diagnostics; a failing logger must not fail provisioning.
    }
}
