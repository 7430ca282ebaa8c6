{*
  otwabridge client area: replaces the product overview tab (ClientArea,
  tabOverviewReplacementTemplate). Override per theme by copying this file to
  templates/<your theme>/modules/servers/otwabridge/overview.tpl.
  Variables: {$otwabridge} (lib/ClientView.php) plus WHMCS's own ($serviceid,
  $dedicatedip, $assignedips, $token, $product, $groupname, $regdate...).
  Strings: lang/english.php, overridable in lang/overrides/.
*}
{assign var=ob value=$otwabridge}
<div class="otwabridge" id="otwabridge-overview" data-status="{$ob.status|escape}">
  <style>
    .otwabridge .ob-grid { display: flex; flex-wrap: wrap; gap: 16px; }
    .otwabridge .ob-card { flex: 1 1 280px; border: 1px solid #e5e8ec; border-radius: 6px; padding: 12px 16px; background: #fff; }
    .otwabridge .ob-card h4 { margin: 0 0 10px; font-size: 15px; }
    .otwabridge dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
    .otwabridge dt { font-weight: 600; }
    .otwabridge dd { margin: 0; word-break: break-all; }
    .otwabridge .ob-status { display: inline-block; padding: 2px 8px; border-radius: 10px; background: #e5e8ec; }
    .otwabridge .ob-status[data-status="running"] { background: #d4efdf; }
    .otwabridge .ob-status[data-status="stopped"], .otwabridge .ob-status[data-status="suspended"] { background: #fadbd8; }
    .otwabridge .ob-chart { margin-bottom: 8px; }
    .otwabridge form { display: inline-block; margin: 0 6px 6px 0; }
    .otwabridge .ob-muted { color: #666; font-size: 13px; }
  </style>

  {if $ob.error}
    <div class="alert alert-warning" role="alert" id="otwabridge-error">{$ob.error|escape}</div>
  {/if}

  <div class="ob-grid">
    <section class="ob-card" id="otwabridge-details">
      <h4>{$ob.lang.heading|escape}</h4>
      <dl>
        <dt>{$ob.lang.status|escape}</dt>
        <dd><span class="ob-status" data-status="{$ob.status|escape}">{$ob.status_label|escape}</span></dd>
        {if $ob.hostname}<dt>{$ob.lang.hostname|escape}</dt><dd>{$ob.hostname|escape}</dd>{/if}
        <dt>{$ob.lang.primary_ip|escape}</dt>
        <dd id="otwabridge-primary-ip">{if $ob.primary_ip}{$ob.primary_ip|escape}{elseif $dedicatedip}{$dedicatedip|escape}{else}{$ob.lang.not_available|escape}{/if}</dd>
        {if $ob.extra_ips}
          <dt>{$ob.lang.extra_ips|escape}</dt>
          <dd id="otwabridge-extra-ips">{foreach $ob.extra_ips as $ip}{$ip|escape}<br>{/foreach}</dd>
        {elseif $assignedips}
          <dt>{$ob.lang.extra_ips|escape}</dt>
          <dd id="otwabridge-extra-ips">{$assignedips|escape|nl2br}</dd>
        {/if}
        {if $ob.os}<dt>{$ob.lang.os|escape}</dt><dd id="otwabridge-os">{$ob.os|escape}</dd>{/if}
        {if $ob.region}<dt>{$ob.lang.region|escape}</dt><dd id="otwabridge-region">{$ob.region|escape}</dd>{/if}
        <dt>{$ob.lang.plan|escape}</dt>
        <dd id="otwabridge-plan">{if $ob.plan}{$ob.plan|escape}{else}{$product|escape}{/if}</dd>
      </dl>
      <p style="margin-top:12px">
        <a class="btn btn-primary" id="otwabridge-sso" href="{$ob.sso_url|escape}" target="_blank" rel="noopener">{$ob.lang.open_panel|escape}</a>
        <a class="btn btn-default" href="{$ob.action_url|escape}">{$ob.lang.refresh|escape}</a>
      </p>
    </section>

    <section class="ob-card" id="otwabridge-stats">
      <h4>{$ob.lang.stats|escape}</h4>
      {if $ob.charts}
        {foreach $ob.charts as $chart}
          <div class="ob-chart" data-chart="{$chart.name|escape}">
            <div class="ob-muted">{$chart.label|escape}</div>
            {$chart.svg nofilter}
          </div>
        {/foreach}
      {else}
        <p class="ob-muted">{$ob.lang.stats_none|escape}</p>
      {/if}
    </section>

    {if $ob.can_power}
    <section class="ob-card" id="otwabridge-power">
      <h4>{$ob.lang.power|escape}</h4>
      {if $ob.running}
        <form method="post" action="{$ob.action_url|escape}&amp;modop=custom&amp;a=ClientPower" data-confirm="{$ob.lang.reboot_confirm|escape}">
          <input type="hidden" name="token" value="{$token|escape}">
          <input type="hidden" name="otwabridge_power" value="reboot">
          <button type="submit" class="btn btn-default">{$ob.lang.reboot|escape}</button>
        </form>
        <form method="post" action="{$ob.action_url|escape}&amp;modop=custom&amp;a=ClientPower" data-confirm="{$ob.lang.stop_confirm|escape}">
          <input type="hidden" name="token" value="{$token|escape}">
          <input type="hidden" name="otwabridge_power" value="stop">
          <button type="submit" class="btn btn-danger">{$ob.lang.stop|escape}</button>
        </form>
      {else}
        <form method="post" action="{$ob.action_url|escape}&amp;modop=custom&amp;a=ClientPower">
          <input type="hidden" name="token" value="{$token|escape}">
          <input type="hidden" name="otwabridge_power" value="start">
          <button type="submit" class="btn btn-success">{$ob.lang.start|escape}</button>
        </form>
      {/if}
    </section>
    {/if}

    {if $ob.can_reset_password}
    <section class="ob-card" id="otwabridge-password">
      <h4>{$ob.lang.reset_password|escape}</h4>
      <p class="ob-muted">{$ob.lang.reset_password_help|escape}</p>
      <form method="post" action="{$ob.action_url|escape}&amp;modop=custom&amp;a=ClientResetPassword" data-confirm="{$ob.lang.reset_password_confirm|escape}">
        <input type="hidden" name="token" value="{$token|escape}">
        <button type="submit" class="btn btn-default">{$ob.lang.reset_password_button|escape}</button>
      </form>
    </section>
    {/if}

    {if $ob.can_reinstall}
    <section class="ob-card" id="otwabridge-reinstall">
      <h4>{$ob.lang.reinstall|escape}</h4>
      <p class="ob-muted">{$ob.lang.reinstall_help|escape}</p>
      <form method="post" action="{$ob.action_url|escape}&amp;modop=custom&amp;a=ClientReinstall" id="otwabridge-reinstall-form">
        <input type="hidden" name="token" value="{$token|escape}">
        {if $ob.os_choices}
          <label for="otwabridge-os-picker">{$ob.lang.reinstall_choose|escape}</label>
          <select name="otwabridge_os" id="otwabridge-os-picker" class="form-control">
            {foreach $ob.os_choices as $choice}
              <option value="{$choice.value|escape}"{if $choice.selected} selected{/if}>{$choice.label|escape}</option>
            {/foreach}
          </select>
        {else}
          <p id="otwabridge-reinstall-same">{$ob.lang.reinstall_same|escape}</p>
        {/if}
        <label style="display:block;margin:8px 0">
          <input type="checkbox" name="otwabridge_confirm" value="yes" id="otwabridge-reinstall-confirm">
          {$ob.lang.reinstall_confirm|escape}
        </label>
        <button type="submit" class="btn btn-danger" id="otwabridge-reinstall-submit" disabled>{$ob.lang.reinstall_button|escape}</button>
      </form>
    </section>
    {/if}
  </div>

  <script>
  (function () {
    var root = document.getElementById('otwabridge-overview');
    if (!root) { return; }
    var forms = root.querySelectorAll('form[data-confirm]');
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener('submit', function (event) {
        if (!window.confirm(this.getAttribute('data-confirm'))) { event.preventDefault(); }
      });
    }
    var box = document.getElementById('otwabridge-reinstall-confirm');
    var submit = document.getElementById('otwabridge-reinstall-submit');
    if (box && submit) {
      box.addEventListener('change', function () { submit.disabled = !box.checked; });
    }
  })();
  </script>
</div>
