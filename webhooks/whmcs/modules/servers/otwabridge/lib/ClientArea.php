<?php
/**
 * The client area: the product details page (ClientArea) and the actions its template
 * posts (ClientAreaAllowedFunctions): power, reinstall, reset root password.
 *
 * Page views read (`status`, plus `usage` when the bridge's status carries no stats);
 * they change nothing. Actions only run for an Active service. Every failure a client can
 * see is a lang/ sentence with a reference (Messages::forClient); the detail is in the
 * module log.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class ClientArea
{
    public const TEMPLATE = 'templates/overview.tpl';
    public const PASSWORD_TEMPLATE = 'templates/password';

    public static function render(array $params): array
    {
        if (Addons::isAddon($params) || !in_array($params['status'] ?? '', ['Active', 'Suspended'], true)) {
            return [];
        }
        $lang = Lang::forParams($params);
        $status = [];
        $stats = null;
        $error = '';
        try {
            $reply = Bridge::call('ClientArea', 'status', $params, ['detail' => 'client']);
            ServerId::remember($params, $reply);
            $status = Bridge::result($reply);
            $stats = is_array($status['stats'] ?? null) ? $status['stats'] : null;
            if ($stats === null && ($status['status'] ?? '') === 'running') {
                $stats = Bridge::result(Bridge::call('ClientArea', 'usage', $params));
            }
        } catch (\Throwable $e) {
            $error = Messages::forClient($e, $lang);
        }

        return [
            'tabOverviewReplacementTemplate' => self::TEMPLATE,
            'templateVariables' => ['otwabridge' => ClientView::build($params, $status, $stats, $lang, $error)],
        ];
    }

    /** POST otwabridge_power = start | stop | reboot. */
    public static function power(array $params): string
    {
        $lang = Lang::forParams($params);
        $action = (string) ($_POST['otwabridge_power'] ?? '');
        if (!in_array($action, ['start', 'stop', 'reboot'], true)) {
            return $lang->get('error_generic');
        }

        return self::act($params, $lang, 'ClientPower', 'power', ['action' => $action]);
    }

    /** POST otwabridge_os (an OS value the bridge offers) and otwabridge_confirm = yes. */
    public static function reinstall(array $params): string
    {
        $lang = Lang::forParams($params);
        if (ProductSettings::flag($params, ProductSettings::HIDE_CLIENT_REINSTALL)) {
            return $lang->get('reinstall_disabled');
        }
        if (($_POST['otwabridge_confirm'] ?? '') !== 'yes') {
            return $lang->get('error_confirm');
        }
        $os = trim((string) ($_POST['otwabridge_os'] ?? ''));
        $extra = $os !== '' && strlen($os) <= 100 ? ['os' => $os] : [];

        return self::act($params, $lang, 'ClientReinstall', 'reinstall', $extra);
    }

    /**
     * A new root password, shown once on its own page (templates/password.tpl) when the
     * bridge returns it; otherwise the page says it arrives in the service details.
     */
    public static function resetPassword(array $params): array|string
    {
        $lang = Lang::forParams($params);
        if (($params['status'] ?? '') !== 'Active') {
            return $lang->get('error_inactive');
        }
        try {
            $reply = Bridge::call('ClientResetPassword', 'reset_password', $params, ['reveal' => true]);
        } catch (\Throwable $e) {
            return Messages::forClient($e, $lang);
        }
        $password = $reply['result']['password'] ?? null;
        $serviceId = (int) ($params['serviceid'] ?? 0);

        return [
            'templatefile' => self::PASSWORD_TEMPLATE,
            'breadcrumb' => ['clientarea.php?action=productdetails&id=' . $serviceId => $lang->get('reset_password')],
            'vars' => ['otwabridge' => [
                'lang' => $lang->all(),
                'password' => is_string($password) ? $password : '',
                'back_url' => 'clientarea.php?action=productdetails&id=' . $serviceId,
            ]],
        ];
    }

    private static function act(array $params, Lang $lang, string $function, string $action, array $extra): string
    {
        if (($params['status'] ?? '') !== 'Active') {
            return $lang->get('error_inactive');
        }
        try {
            Bridge::call($function, $action, $params, $extra);

            return 'success';
        } catch (\Throwable $e) {
            return Messages::forClient($e, $lang);
        }
    }
}
