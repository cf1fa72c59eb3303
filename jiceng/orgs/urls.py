from django.urls import path

from jiceng.orgs import views

urlpatterns = [
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/profile/", views.profile, name="profile"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/acting/", views.switch_acting, name="switch_acting"),
    path("staff/units/", views.unit_tree, name="unit_tree"),
    path("staff/units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("staff/units/<str:code>/children/", views.unit_children_partial, name="unit_children"),
    path("staff/units/<str:code>/edit/", views.unit_edit, name="unit_edit"),
    path("staff/units/<str:code>/add/", views.unit_add_child, name="unit_add_child"),
    path("staff/users/", views.user_list, name="user_list"),
    path("staff/users/new/", views.user_create, name="user_create"),
    path("staff/users/<int:pk>/", views.user_detail, name="user_detail"),
    path("staff/users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("staff/users/<int:pk>/active/", views.user_active, name="user_active"),
    path("staff/users/<int:pk>/password/", views.user_password, name="user_password"),
    path("staff/users/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path("staff/memberships/<int:pk>/end/", views.membership_end, name="membership_end"),
    path("staff/audit/", views.audit_list, name="audit_list"),
]
