{*
  otwabridge: the page after "Reset root password" (ClientResetPassword). The password is
  shown here once and is not kept by the module. Override per theme like overview.tpl.
*}
{assign var=ob value=$otwabridge}
<div class="otwabridge" id="otwabridge-new-password">
  <h3>{$ob.lang.reset_password|escape}</h3>
  {if $ob.password}
    <p>{$ob.lang.new_password|escape}:</p>
    <pre id="otwabridge-password-value" style="font-size:16px;user-select:all">{$ob.password|escape}</pre>
    <p class="text-warning">{$ob.lang.new_password_once|escape}</p>
  {else}
    <p id="otwabridge-password-pending">{$ob.lang.new_password_pending|escape}</p>
  {/if}
  <p><a class="btn btn-default" href="{$ob.back_url|escape}">{$ob.lang.back|escape}</a></p>
</div>
