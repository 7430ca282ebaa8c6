<?php
/**
 * MetaData and TestConnection: what WHMCS asks of the module before any service exists.
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Module
{
    public const DISPLAY_NAME = 'Otwa Cloud (otwa-bridge)';

    public static function metaData(array $params = []): array
    {
        return [
            'DisplayName' => self::DISPLAY_NAME,
            'APIVersion' => '1.1',
            'RequiresServer' => true,
            'DefaultSSLPort' => 443,
            'DefaultNonSSLPort' => 80,
            // Client-facing: neutral wording (no provider name).
            'ServiceSingleSignOnLabel' => 'Open control panel',
            'AdminSingleSignOnLabel' => 'Open the Otwa dashboard',
            // Server Sync (ListAccounts): match remote servers on the "Server ID" field;
            // the products-map entry (setting 3) identifies the product.
            'ListAccountsUniqueIdentifierDisplayName' => 'Server ID',
            'ListAccountsUniqueIdentifierField' => 'customfield.' . ServerId::FIELD,
            'ListAccountsProductField' => 'configoption' . ProductSettings::PRODUCT_KEY,
        ];
    }

    /** The bridge address, the secret (a signed hook) and the bridge's own Otwa key. */
    public static function testConnection(array $params): array
    {
        try {
            Bridge::call('TestConnection', 'TestConnection', $params);

            return ['success' => true, 'error' => ''];
        } catch (\Throwable $e) {
            return ['success' => false, 'error' => Bridge::staffMessage($e)];
        }
    }
}
