{#- The title page of the whole book (print-site's cover, rendered with the MkDocs config). -#}
<div class="book-cover">
  <p class="book-cover__kicker">An executable book</p>
  <p class="book-cover__title">{{ config.site_name }}</p>
  <p class="book-cover__subtitle">{{ config.site_description }}</p>
  <p class="book-cover__note">{{ config.copyright }}</p>
</div>
