from django.urls import URLPattern, URLResolver, path

from jiceng.support import views_funds as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.fund_ledger, name="fund_ledger"),
    path("export.xlsx", views.fund_export, name="fund_export"),
    path("approvals/", views.fund_approvals, name="fund_approvals"),
    path("allocations/new/", views.fund_allocation_new, name="fund_allocation_new"),
    path("expenses/new/", views.fund_expense_new, name="fund_expense_new"),
    path("entries/<int:pk>/", views.fund_entry_detail, name="fund_entry_detail"),
    path("entries/<int:pk>/decide/", views.fund_entry_decide, name="fund_entry_decide"),
    path("entries/<int:pk>/reverse/", views.fund_entry_reverse, name="fund_entry_reverse"),
    path("entries/<int:pk>/vouchers/", views.fund_voucher_add, name="fund_voucher_add"),
    path("vouchers/<int:pk>/", views.fund_voucher_file, name="fund_voucher_file"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/export.xlsx", views.staff_export, name="staff_export"),
    path("staff/new/", views.staff_edit, name="staff_new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/trainings/", views.staff_training_add, name="staff_training_add"),
    path("staff/<int:pk>/leave/", views.staff_leave, name="staff_leave"),
    path("equipment/", views.equipment_list, name="equipment_list"),
    path("equipment/new/", views.equipment_edit, name="equipment_new"),
    path("equipment/<int:pk>/edit/", views.equipment_edit, name="equipment_edit"),
    path("equipment/<int:pk>/check/", views.equipment_check, name="equipment_check"),
]
