<?php
/**
 * The one door into the module: a PHP version guard, then the dispatch table.
 *
 * This file (and otwabridge.php, and includes/hooks/otwabridge.php) must parse on any PHP
 * WHMCS has ever run on, so it uses no syntax newer than PHP 5.6: every other file of lib/
 * uses PHP 8.1 (readonly properties, enums of strings, first-class callables) and is loaded
 * only after the guard passed. On an older PHP each WHMCS entry point returns its own
 * failure shape with one clear sentence, and nothing is sent to the bridge.
 *
 * Contract: Boot::call('<WHMCS function>', $params) returns exactly what WHMCS expects from
 * otwabridge_<function>(). Loaders of ConfigOptions point at Boot::load<Name>() strings so no
 * helper lives under the otwabridge_ prefix (WHMCS dispatches any otwabridge_<name> as a
 * custom module function).
 */

namespace WHMCS\Module\Server\Otwabridge;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

final class Boot
{
    const MIN_PHP_VERSION_ID = 80100;

    /** WHMCS function => array(class, static method); every class lives in lib/. */
    private static $routes = array(
        'MetaData' => array('Module', 'metaData'),
        'ConfigOptions' => array('ProductSettings', 'definition'),
        'CreateAccount' => array('Lifecycle', 'create'),
        'SuspendAccount' => array('Lifecycle', 'suspend'),
        'UnsuspendAccount' => array('Lifecycle', 'unsuspend'),
        'TerminateAccount' => array('Lifecycle', 'terminate'),
        'ChangePackage' => array('Lifecycle', 'changePackage'),
        'TestConnection' => array('Module', 'testConnection'),
        'ServiceSingleSignOn' => array('SingleSignOn', 'service'),
        'AdminSingleSignOn' => array('SingleSignOn', 'admin'),
        'ClientArea' => array('ClientArea', 'render'),
        'AdminCustomButtonArray' => array('Buttons', 'adminButtons'),
        'ClientAreaCustomButtonArray' => array('Buttons', 'clientButtons'),
        'ClientAreaAllowedFunctions' => array('Buttons', 'clientAllowedFunctions'),
        'AdminServicesTabFields' => array('AdminTab', 'fields'),
        'AdminServicesTabFieldsSave' => array('AdminTab', 'save'),
        'UsageUpdate' => array('Usage', 'update'),
        'ListAccounts' => array('Import', 'listAccounts'),
        'AdminStart' => array('Buttons', 'adminStart'),
        'AdminStop' => array('Buttons', 'adminStop'),
        'AdminReboot' => array('Buttons', 'adminReboot'),
        'AdminReinstall' => array('Buttons', 'adminReinstall'),
        'AdminResetPassword' => array('Buttons', 'adminResetPassword'),
        'AdminSync' => array('Buttons', 'adminSync'),
        'ClientPower' => array('ClientArea', 'power'),
        'ClientReinstall' => array('ClientArea', 'reinstall'),
        'ClientResetPassword' => array('ClientArea', 'resetPassword'),
    );

    private static $loaded = false;

    /** What otwabridge_<$function>($params) returns. */
    public static function call($function, $params)
    {
        $params = is_array($params) ? $params : array();
        if (!self::phpIsSupported()) {
            return self::refusal($function);
        }
        self::load();
        $route = self::$routes[$function];
        $class = __NAMESPACE__ . '\\' . $route[0];

        return call_user_func(array($class, $route[1]), $params);
    }

    /** ConfigOptions loaders ('Loader' => Boot::class . '::loadProducts'). */
    public static function loadProducts($params)
    {
        return self::loader('products', $params);
    }

    public static function loadRegions($params)
    {
        return self::loader('regions', $params);
    }

    public static function loadOperatingSystems($params)
    {
        return self::loader('os', $params);
    }

    /** Register hooks (includes/hooks/otwabridge.php): nothing on an unsupported PHP. */
    public static function registerHooks()
    {
        if (!self::phpIsSupported()) {
            return false;
        }
        self::load();
        call_user_func(array(__NAMESPACE__ . '\\Hooks\\Registry', 'register'));

        return true;
    }

    /** True on PHP 8.1+. OTWABRIDGE_TEST_PHP_VERSION_ID lets tests play an older PHP. */
    public static function phpIsSupported()
    {
        return self::phpVersionId() >= self::MIN_PHP_VERSION_ID;
    }

    /** The sentence shown wherever the module cannot run. */
    public static function versionMessage()
    {
        $id = self::phpVersionId();
        $running = (int) floor($id / 10000) . '.' . ((int) floor($id / 100) % 100) . '.' . ($id % 100);

        return 'The otwabridge module needs PHP 8.1 or later; this WHMCS runs PHP ' . $running
            . '. Nothing was sent to the bridge. Upgrade PHP (WHMCS 8.x supports 8.1 and later).';
    }

    private static function phpVersionId()
    {
        return defined('OTWABRIDGE_TEST_PHP_VERSION_ID') ? (int) OTWABRIDGE_TEST_PHP_VERSION_ID : PHP_VERSION_ID;
    }

    private static function loader($what, $params)
    {
        if (!self::phpIsSupported()) {
            throw new \Exception(self::versionMessage());
        }
        self::load();

        return call_user_func(array(__NAMESPACE__ . '\\Loaders', $what), is_array($params) ? $params : array());
    }

    /** The failure shape of $function on an unsupported PHP. */
    private static function refusal($function)
    {
        $message = self::versionMessage();
        switch ($function) {
            case 'MetaData':
                return array('DisplayName' => 'Otwa Cloud (otwa-bridge): needs PHP 8.1+', 'APIVersion' => '1.1',
                    'RequiresServer' => true);
            case 'ConfigOptions':
                return array('PHP version' => array('Type' => 'text', 'Size' => '1', 'Description' => $message));
            case 'TestConnection':
                return array('success' => false, 'error' => $message);
            case 'ServiceSingleSignOn':
            case 'AdminSingleSignOn':
                return array('success' => false, 'errorMsg' => $message);
            case 'ListAccounts':
                return array('success' => false, 'error' => $message);
            case 'AdminServicesTabFields':
                return array('Module' => htmlspecialchars($message, ENT_QUOTES));
            case 'ClientArea':
            case 'AdminCustomButtonArray':
            case 'ClientAreaCustomButtonArray':
            case 'ClientAreaAllowedFunctions':
                return array();
            case 'AdminServicesTabFieldsSave':
            case 'UsageUpdate':
                return null;
            default:
                return $message;
        }
    }

    /** Autoload lib/ (WHMCS registers the same PSR-4 mapping; the harness does not). */
    private static function load()
    {
        if (self::$loaded) {
            return;
        }
        self::$loaded = true;
        $prefix = __NAMESPACE__ . '\\';
        spl_autoload_register(function ($class) use ($prefix) {
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                return;
            }
            $path = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($path)) {
                require_once $path;
            }
        });
    }
}
